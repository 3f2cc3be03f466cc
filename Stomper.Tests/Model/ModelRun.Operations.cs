namespace Stomper.Tests.Model;

/// <summary>The operations of the model: what the application does, and what the brokers suffer.</summary>
internal sealed partial class ModelRun
{
    /// <summary>A random user command; from a callback too, so that every callback also issues commands.</summary>
    private void Command(bool fromCallback)
    {
        var roll = _rng.Next(100);
        Action? command = roll switch
        {
            < 20 => Subscribe(),
            < 32 => Unsubscribe(),
            < 55 => Send(),
            < 68 => Acknowledge(),
            < 74 => Begin(),
            < 82 => EndTransaction(),
            < 86 => DisconnectCommand(),
            < 94 => ForceDisconnect(),
            < 97 when (_step > 5 || fromCallback) && _rng.Next(4) == 0 => DisposeCluster(),
            _ => Send(),
        };
        command ??= Send();
        if (fromCallback)
        {
            // A command issued inside a callback: exceptions of nested callbacks pass
            // through as they would in the application; anything else is the library's.
            try
            {
                command();
            }
            catch (Exception e) when (e is not UserCallbackException and not ModelViolationException)
            {
                Fail(NoLibraryException, $"a command issued in a callback threw {e}");
            }
        }
        else
        {
            command();
        }
    }

    private Action? Subscribe()
    {
        var free = s_ids.Where(id => _instances.All(i => i.Id != id || i.State is SubscriptionState.Ended or SubscriptionState.Dropped
            || (i.State is SubscriptionState.Unsubscribing && _rng.Next(3) == 0))).ToList();
        if (free.Count == 0)
        {
            return null;
        }

        var id = free[_rng.Next(free.Count)];
        var destination = s_destinations[_rng.Next(s_destinations.Length)];
        var ackMode = s_ackModes[_rng.Next(s_ackModes.Length)];
        return () =>
        {
            var instance = new SubscriptionInstance(NewToken($"SUBSCRIBE {id}"), id, destination, ackMode);
            _instances.Add(instance);
            Issued($"SUBSCRIBE {instance} {destination} ack:{ackMode}");
            _cluster.Subscribe(new CommandParams
            {
                ["id"] = id,
                ["destination"] = destination,
                ["ack"] = ackMode,
                OnMessage = message => OnMessage(instance, message),
                OnReceipt = (receipt, error) => OnSubscribeReply(instance, receipt, error),
            });
        };
    }

    private void OnSubscribeReply(SubscriptionInstance instance, Frame? receipt, StompError? error) =>
        UserCallback($"SUBSCRIBE {instance}: {error?.Message ?? "receipt " + receipt?.Headers["receipt-id"]}", () =>
        {
            if (instance.State == SubscriptionState.Ended)
            {
                Fail(NoMessageAfterEnd, $"SUBSCRIBE {instance} called after it ended ({error?.Message ?? "receipt"})");
                return;
            }

            _pending.Remove(instance.Token);
            if (instance.State == SubscriptionState.Dropped && error is null)
            {
                Fail(NoMessageAfterEnd, $"SUBSCRIBE {instance} got a RECEIPT after the application closed its session");
                return;
            }

            if (error is not null)
            {
                instance.State = SubscriptionState.Ended;
                return;
            }

            instance.Session = SessionOf(receipt);
            if (instance.State == SubscriptionState.Pending)
            {
                instance.State = SubscriptionState.Held;
            }
        });

    private void OnMessage(SubscriptionInstance instance, Frame message) =>
        UserCallback($"MESSAGE {instance} {message.Headers["message-id"]}", () =>
        {
            if (instance.State is SubscriptionState.Ended or SubscriptionState.Dropped)
            {
                Fail(NoMessageAfterEnd, $"MESSAGE {message.Headers["message-id"]} for {instance} after it ended");
                return;
            }

            if (message.Headers["subscription"] != instance.Id || message.Headers["destination"] != instance.Destination)
            {
                Fail(MessageToItsSubscription, $"MESSAGE {message.Headers["message-id"]} for {message.Headers["subscription"]} on {message.Headers["destination"]} reached {instance} on {instance.Destination}");
                return;
            }

            if (instance.AckMode != "auto" || _rng.Next(10) == 0)
            {
                if (_ackable.Count == 8)
                {
                    _ackable.RemoveAt(0);
                }

                _ackable.Add(message);
            }
        });

    private Action? Unsubscribe()
    {
        var held = _instances.Where(i => i.State == SubscriptionState.Held).ToList();
        if (held.Count == 0)
        {
            return null;
        }

        var instance = held[_rng.Next(held.Count)];
        return () =>
        {
            var token = NewToken($"UNSUBSCRIBE {instance}");
            instance.State = SubscriptionState.Unsubscribing;
            Issued($"UNSUBSCRIBE {instance} (#{token})");
            _cluster.Unsubscribe(new CommandParams { ["id"] = instance.Id }, (receipt, error) =>
                UserCallback($"UNSUBSCRIBE {instance} #{token}: {error?.Message ?? "receipt"}", () =>
                {
                    Answered(token, $"UNSUBSCRIBE {instance}", error);
                    if (instance.State != SubscriptionState.Unsubscribing)
                    {
                        return;
                    }

                    // Not sent because the connection that held the subscription is gone:
                    // the cluster will not make it again, and the SUBSCRIBE's own callback
                    // may still hear so (its re-subscription, issued before, is aborted).
                    // Refused (the broker still has it) or cut short otherwise: a loss
                    // would have been reported to the SUBSCRIBE's own callback first.
                    instance.State = error is null ? SubscriptionState.Ended
                        : EndedWithItsConnection(error) ? SubscriptionState.Dropped
                        : SubscriptionState.Held;
                }));
        };
    }

    /// <summary>The cluster's answer to an UNSUBSCRIBE whose subscription's connection had closed: the subscription ended with it.</summary>
    private bool EndedWithItsConnection(StompError error) => _network.Brokers.Any(broker =>
        error.Message == Errors.SubscribingConnectionClosed(StompCommands.Unsubscribe, "127.0.0.1", broker.Port).Message);

    private Action Send()
    {
        var destination = s_destinations[_rng.Next(s_destinations.Length)];
        var withReceipt = _rng.Next(2) == 0;
        var transaction = _transactions.Count > 0 && _rng.Next(4) == 0 ? _transactions[_rng.Next(_transactions.Count)] : null;
        var withCallback = _rng.Next(10) != 0;
        return () =>
        {
            var parameters = new CommandParams { ["destination"] = destination, Body = "m" };
            if (withReceipt)
            {
                parameters["receipt"] = "auto";
            }

            if (transaction is not null)
            {
                parameters["transaction"] = transaction;
            }

            if (!withCallback)
            {
                Issued($"SEND {destination}{(withReceipt ? " receipt" : string.Empty)} {transaction} (no callback)");
                _cluster.Send(parameters);
                return;
            }

            var token = NewToken($"SEND {destination}");
            Issued($"SEND {destination}{(withReceipt ? " receipt" : string.Empty)} {transaction} (#{token})");
            _cluster.Send(parameters, Reply(token, "SEND"));
        };
    }

    private Action? Acknowledge()
    {
        if (_ackable.Count == 0)
        {
            return null;
        }

        var message = _ackable[_rng.Next(_ackable.Count)];
        _ackable.Remove(message);
        var command = _rng.Next(4) == 0 ? StompCommands.Nack : StompCommands.Ack;
        return () =>
        {
            var token = NewToken($"{command} {message.Headers["message-id"]}");
            Issued($"{command} {message.Headers["message-id"]} (#{token})");
            _cluster.Execute(command, new CommandParams { Message = message }, Reply(token, command));
        };
    }

    private Action Begin()
    {
        var transaction = $"t{++_transactionCount}";
        return () =>
        {
            var token = NewToken($"BEGIN {transaction}");
            _transactions.Add(transaction);
            Issued($"BEGIN {transaction} (#{token})");
            _cluster.Begin(new CommandParams { ["transaction"] = transaction, ["receipt"] = "auto" }, (receipt, error) =>
                UserCallback($"BEGIN {transaction} #{token}: {error?.Message ?? "done"}", () =>
                {
                    Answered(token, "BEGIN", error);
                    if (error is not null)
                    {
                        _transactions.Remove(transaction);
                    }
                }));
        };
    }

    private Action EndTransaction()
    {
        var transaction = _transactions.Count > 0 && _rng.Next(8) != 0 ? _transactions[_rng.Next(_transactions.Count)] : "t-unknown";
        var command = _rng.Next(3) == 0 ? StompCommands.Abort : StompCommands.Commit;
        return () =>
        {
            _transactions.Remove(transaction);
            var token = NewToken($"{command} {transaction}");
            Issued($"{command} {transaction} (#{token})");
            _cluster.Execute(command, new CommandParams { ["transaction"] = transaction, ["receipt"] = "auto" }, Reply(token, command));
        };
    }

    private Action DisconnectCommand() => () =>
    {
        var token = NewToken("DISCONNECT");
        Issued($"DISCONNECT (#{token})");
        _cluster.Disconnect(new CommandParams(), (receipt, error) =>
            UserCallback($"DISCONNECT #{token}: {error?.Message ?? "receipt"}", () =>
            {
                Answered(token, "DISCONNECT", error);
                if (error is null && SessionOf(receipt) is { } session)
                {
                    // The session closed cleanly: its subscriptions are gone without a word.
                    foreach (var instance in _instances.Where(i => i.Session == session && i.State is SubscriptionState.Held or SubscriptionState.Unsubscribing))
                    {
                        instance.State = SubscriptionState.Dropped;
                    }
                }
            }));
    };

    private Action ForceDisconnect() => () =>
    {
        Note("force_disconnect");
        _quiet = true;

        // A close the application asked for drops every subscription without a word;
        // those still awaiting their first answer hear of the abort.
        foreach (var instance in _instances.Where(i => i.State is SubscriptionState.Held or SubscriptionState.Unsubscribing))
        {
            instance.State = SubscriptionState.Dropped;
        }

        _cluster.ForceDisconnect();
    };

    private Action DisposeCluster() => () =>
    {
        Note("Dispose");
        _disposing = true;
        foreach (var instance in _instances.Where(i => i.State is SubscriptionState.Held or SubscriptionState.Unsubscribing))
        {
            instance.State = SubscriptionState.Dropped;
        }

        try
        {
            // Every command still pending is answered during the call, once; nothing after it.
            _cluster.Dispose();
        }
        finally
        {
            _disposing = false;
            _disposed = true;
            if (_pending.Count > 0)
            {
                Fail(ExactlyOnce, $"Dispose returned with commands never answered: {string.Join(", ", _pending.Select(p => $"#{p.Key} {p.Value}"))}");
            }

            _pending.Clear();
            foreach (var instance in _instances)
            {
                instance.State = SubscriptionState.Ended;
            }
        }
    };

    private void CommandAfterDispose()
    {
        Note("SEND after Dispose");
        try
        {
            _cluster.Send(new CommandParams { ["destination"] = "/queue/a", Body = "late" }, (_, _) => Fail(NothingAfterDispose, "a SEND issued after Dispose was answered"));
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private Action<Frame?, StompError?> Reply(int token, string command) => (receipt, error) =>
        UserCallback($"{command} #{token}: {error?.Message ?? "done"}", () => Answered(token, command, error));

    /// <summary>Notes a command; any command ends the quiet that force_disconnect began.</summary>
    private void Issued(string what)
    {
        _quiet = false;
        Note((_loop.IsRunning ? "  issue " : string.Empty) + what);
    }

    private void Fault()
    {
        var broker = _network.Brokers.ElementAt(_rng.Next(ModelCluster.Ports.Length));
        var sessions = broker.Sessions.Where(s => s.IsOpen && s.SessionId is not null).ToList();
        switch (_rng.Next(9))
        {
            case 0:
                broker.ConnectMode = ConnectMode.Refuse;
                Note($"fault: node {broker.Port} refuses connections");
                break;
            case 1:
                broker.ConnectMode = ConnectMode.Hang;
                Note($"fault: node {broker.Port} never answers a connect");
                break;
            case 2:
                Note($"fault: node {broker.Port} dies");
                broker.ConnectMode = ConnectMode.Refuse;
                broker.KillSessions();
                break;
            case 3:
                broker.CutAfterBytes = _rng.Next(60);
                Note($"fault: node {broker.Port} dies after {broker.CutAfterBytes} more bytes");
                break;
            case 4:
                broker.ErrorNextCommand = true;
                broker.CloseAfterError = _rng.Next(3) != 0;
                Note($"fault: node {broker.Port} answers ERROR to its next command{(broker.CloseAfterError ? " and closes" : string.Empty)}");
                break;
            case 5 when sessions.Count > 0:
                Note($"fault: node {broker.Port} sends an unprompted ERROR");
                sessions[_rng.Next(sessions.Count)].SendUnpromptedError();
                break;
            case 6 when sessions.Count > 0:
                Note($"fault: node {broker.Port} goes silent");
                sessions[_rng.Next(sessions.Count)].Silent = true;
                break;
            case 7:
                _network.SplitWrites = !_network.SplitWrites;
                Note($"fault: client writes split: {_network.SplitWrites}");
                break;
            default:
                Note($"heal node {broker.Port}");
                broker.Heal();
                break;
        }
    }
}
