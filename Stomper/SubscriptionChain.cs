namespace Stomper;

/// <summary>
/// A subscription that may share its id with older ones still alive (their UNSUBSCRIBE
/// unconfirmed, or this SUBSCRIBE refused): a table keys the newest, and each links to
/// the one it took the id from.
/// </summary>
/// <typeparam name="T">The subscription type itself.</typeparam>
internal interface ISubscriptionLink<T>
    where T : class, ISubscriptionLink<T>
{
    /// <summary>The older subscription under the same id, if it still lives.</summary>
    T? Previous { get; set; }
}

/// <summary>The id-sharing chains of the client's and the cluster's subscription tables.</summary>
internal static class SubscriptionChain
{
    /// <summary>Removes this very subscription from under <paramref name="key"/>, leaving any other that shares the id.</summary>
    public static void Unlink<T>(Dictionary<string, T> byKey, string key, T subscription)
        where T : class, ISubscriptionLink<T>
    {
        if (byKey.TryGetValue(key, out var newest))
        {
            if (ReferenceEquals(newest, subscription))
            {
                if (subscription.Previous is { } previous)
                {
                    byKey[key] = previous;
                }
                else
                {
                    byKey.Remove(key);
                }
            }
            else
            {
                for (var newer = newest; newer.Previous is { } older; newer = older)
                {
                    if (ReferenceEquals(older, subscription))
                    {
                        newer.Previous = subscription.Previous;
                        break;
                    }
                }
            }
        }

        subscription.Previous = null;
    }
}
