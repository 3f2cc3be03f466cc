using System.Runtime.CompilerServices;

namespace Stomper;

/// <summary>
/// The command methods of AnyEvent::Stomper and AnyEvent::Stomper::Cluster ("COMMAND
/// METHODS" in their documentation), each a named form of
/// <see cref="Execute(string, CommandParams, Action{Frame, StompError})"/>. Both
/// <see cref="StomperClient"/> and the cluster client inherit them.
/// </summary>
/// <remarks>
/// The original's methods take <c>( [ %params ] [, $cb ] )</c>: both parts optional. Each
/// method here has the forms <c>(params)</c>, <c>(params, cb)</c> and <c>(cb)</c>, the last
/// for Perl's <c>$stomper-&gt;disconnect( sub { ... } )</c>: no headers of its own (the
/// client's <c>default_headers</c> and <c>command_headers</c> still apply). ACK and NACK
/// have no <c>(cb)</c> form, since the original dies on one (<c>"message" parameter must be
/// specified</c>). The forms taking parameters are preferred in overload resolution, so
/// that <c>Send(new() { ... })</c> stays a <see cref="CommandParams"/> and never a callback.
/// </remarks>
public abstract class CommandMethods
{
    /// <summary>
    /// Runs any client command by name (<c>-&gt;execute('SEND', %params, $cb)</c>). A
    /// callback given here is the command callback <c>($receipt, $err)</c>; for
    /// SUBSCRIBE use <see cref="CommandParams.OnMessage"/> for the messages.
    /// </summary>
    [OverloadResolutionPriority(1)]
    public abstract void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null);

    /// <summary>
    /// Runs a command with no headers of its own, the callback alone
    /// (<c>-&gt;execute('DISCONNECT', sub { my ($receipt, $err) = @_; })</c>). Unlike Perl,
    /// where a lone callback given for SUBSCRIBE is <c>on_message</c>, this callback is
    /// always the command callback: use <see cref="Subscribe(Action{Frame})"/> for that.
    /// </summary>
    public void Execute(string command, Action<Frame?, StompError?> onReceipt) => Execute(command, new CommandParams(), Callback(onReceipt));

    /// <summary>SEND: sends a message to a destination; the optional trailing callback is <c>on_receipt</c>.</summary>
    [OverloadResolutionPriority(1)]
    public void Send(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Send, parameters, onReceipt);

    /// <summary>SEND with the callback alone (<c>$stomper-&gt;send( sub { ... } )</c>): the headers come from <c>command_headers</c> and <c>default_headers</c>.</summary>
    public void Send(Action<Frame?, StompError?> onReceipt) => Execute(StompCommands.Send, new CommandParams(), Callback(onReceipt));

    /// <summary>SUBSCRIBE: <see cref="CommandParams.OnMessage"/> is required.</summary>
    /// <exception cref="ArgumentException"><c>"on_message" callback must be specified</c>.</exception>
    [OverloadResolutionPriority(1)]
    public void Subscribe(CommandParams parameters) => Execute(StompCommands.Subscribe, parameters);

    /// <summary>SUBSCRIBE with the message callback as the trailing argument (Perl's single trailing sub).</summary>
    public void Subscribe(CommandParams parameters, Action<Frame> onMessage)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(onMessage);

        // A copy, because the caller's parameters may be a template sent again with
        // another callback, and the client promises never to change them.
        var own = parameters.Copy();
        own.OnMessage = onMessage;
        Execute(StompCommands.Subscribe, own);
    }

    /// <summary>
    /// SUBSCRIBE with the message callback alone (<c>$stomper-&gt;subscribe( sub { my $msg = shift; } )</c>):
    /// the headers come from <c>command_headers</c> and <c>default_headers</c>.
    /// </summary>
    public void Subscribe(Action<Frame> onMessage)
    {
        ArgumentNullException.ThrowIfNull(onMessage);
        Execute(StompCommands.Subscribe, new CommandParams { OnMessage = onMessage });
    }

    /// <summary>UNSUBSCRIBE: removes a subscription by <c>id</c> (or <c>destination</c>).</summary>
    [OverloadResolutionPriority(1)]
    public void Unsubscribe(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Unsubscribe, parameters, onReceipt);

    /// <summary>UNSUBSCRIBE with the callback alone (<c>$stomper-&gt;unsubscribe( sub { ... } )</c>).</summary>
    public void Unsubscribe(Action<Frame?, StompError?> onReceipt) => Execute(StompCommands.Unsubscribe, new CommandParams(), Callback(onReceipt));

    /// <summary>
    /// ACK: acknowledges <see cref="CommandParams.Message"/> (0.32+), or the message named
    /// by an <c>id</c> header as the seed (0.30) does.
    /// </summary>
    /// <exception cref="ArgumentException"><c>"message" parameter must be specified</c>.</exception>
    public void Ack(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Ack, parameters, onReceipt);

    /// <summary>NACK: the opposite of <see cref="Ack"/>.</summary>
    /// <exception cref="ArgumentException"><c>"message" parameter must be specified</c>.</exception>
    public void Nack(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Nack, parameters, onReceipt);

    /// <summary>BEGIN: starts a transaction.</summary>
    [OverloadResolutionPriority(1)]
    public void Begin(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Begin, parameters, onReceipt);

    /// <summary>BEGIN with the callback alone (<c>$stomper-&gt;begin( sub { ... } )</c>).</summary>
    public void Begin(Action<Frame?, StompError?> onReceipt) => Execute(StompCommands.Begin, new CommandParams(), Callback(onReceipt));

    /// <summary>COMMIT: commits a transaction.</summary>
    [OverloadResolutionPriority(1)]
    public void Commit(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Commit, parameters, onReceipt);

    /// <summary>COMMIT with the callback alone (<c>$stomper-&gt;commit( sub { ... } )</c>).</summary>
    public void Commit(Action<Frame?, StompError?> onReceipt) => Execute(StompCommands.Commit, new CommandParams(), Callback(onReceipt));

    /// <summary>ABORT: rolls a transaction back.</summary>
    [OverloadResolutionPriority(1)]
    public void Abort(CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null) => Execute(StompCommands.Abort, parameters, onReceipt);

    /// <summary>ABORT with the callback alone (<c>$stomper-&gt;abort( sub { ... } )</c>).</summary>
    public void Abort(Action<Frame?, StompError?> onReceipt) => Execute(StompCommands.Abort, new CommandParams(), Callback(onReceipt));

    /// <summary>DISCONNECT: the graceful close; the connection closes when its RECEIPT arrives.</summary>
    [OverloadResolutionPriority(1)]
    public void Disconnect(CommandParams? parameters = null, Action<Frame?, StompError?>? onReceipt = null) =>
        Execute(StompCommands.Disconnect, parameters ?? new CommandParams(), onReceipt);

    /// <summary>DISCONNECT with the callback alone (<c>$stomper-&gt;disconnect( sub { my ($receipt, $err) = @_; } )</c>).</summary>
    public void Disconnect(Action<Frame?, StompError?> onReceipt) => Execute(StompCommands.Disconnect, new CommandParams(), Callback(onReceipt));

    /// <summary>A lone callback stands for the whole call, so unlike the optional trailing one it may not be null.</summary>
    private static Action<Frame?, StompError?> Callback(Action<Frame?, StompError?> onReceipt)
    {
        ArgumentNullException.ThrowIfNull(onReceipt);
        return onReceipt;
    }
}
