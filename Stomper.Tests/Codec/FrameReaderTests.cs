using NUnit.Framework;
using static Stomper.ErrorCode;
using static Stomper.Tests.Codec.ReaderHarness;

namespace Stomper.Tests.Codec;

public class FrameReaderTests
{
    private const string Message =
        "MESSAGE\ndestination:/queue/a\nmessage-id:7\nsubscription:s1\n\nhello\0";

    [Test]
    public void A_MESSAGE_frame_is_parsed_into_command_headers_and_body()
    {
        var reader = new FrameReader();
        var result = reader.TryRead(Bytes(Message), out var frame, out int consumed, out var error);

        Assert.That(result, Is.EqualTo(FrameReadResult.Frame));
        Assert.That(error, Is.Null);
        Assert.That(consumed, Is.EqualTo(Bytes(Message).Length));
        Assert.That(frame!.Command, Is.SameAs(StompCommands.Message));
        Assert.That(frame.Headers["destination"], Is.EqualTo("/queue/a"));
        Assert.That(frame.Headers["message-id"], Is.EqualTo("7"));
        Assert.That(frame.Headers["subscription"], Is.EqualTo("s1"));
        Assert.That(frame.Headers["ack"], Is.Null, "an absent header is null, as Perl's undef");
        Assert.That(frame.Body, Is.EqualTo("hello"));
    }

    [Test]
    public void A_frame_is_consumed_exactly_and_what_follows_is_left_for_the_next_call()
    {
        byte[] input = Bytes("RECEIPT\nreceipt-id:1\n\n\0RECEIPT\nreceipt-id:2\n\n\0");
        var reader = new FrameReader();

        reader.TryRead(input, out var first, out int consumed, out _);
        reader.TryRead(input.AsSpan(consumed), out var second, out int consumed2, out _);

        Assert.That(consumed, Is.EqualTo("RECEIPT\nreceipt-id:1\n\n\0".Length));
        Assert.That(first!.Headers["receipt-id"], Is.EqualTo("1"));
        Assert.That(second!.Headers["receipt-id"], Is.EqualTo("2"));
        Assert.That(consumed + consumed2, Is.EqualTo(input.Length));
    }

    [Test]
    public void An_empty_buffer_needs_more_data_and_consumes_nothing()
    {
        var result = new FrameReader().TryRead([], out var frame, out int consumed, out var error);

        Assert.That(result, Is.EqualTo(FrameReadResult.NeedMoreData));
        Assert.That((frame, consumed, error), Is.EqualTo(((Frame?)null, 0, (StompError?)null)));
    }

    [Test]
    public void EOLs_before_a_frame_are_consumed_as_a_heart_beat_and_the_frame_comes_next()
    {
        byte[] input = Bytes("\n\r\n\n" + Message);
        var reader = new FrameReader();

        var beat = reader.TryRead(input, out var none, out int consumed, out _);
        var next = reader.TryRead(input.AsSpan(consumed), out var frame, out _, out _);

        Assert.That(beat, Is.EqualTo(FrameReadResult.HeartBeat));
        Assert.That(none, Is.Null);
        Assert.That(consumed, Is.EqualTo(4), "LF, CRLF and LF");
        Assert.That(next, Is.EqualTo(FrameReadResult.Frame));
        Assert.That(frame!.Command, Is.EqualTo("MESSAGE"));
    }

    [Test]
    public void Heart_beats_between_frames_are_counted_and_do_not_disturb_the_frames()
    {
        var harness = ForServerFrames().Feed(Bytes("\n" + Message + "\n\n" + Message + "\r\n"));

        Assert.That(harness.Frames, Has.Count.EqualTo(2));
        Assert.That(harness.HeartBeats, Is.EqualTo(3));
        Assert.That(harness.Pending, Is.Zero);
    }

    [Test]
    public void A_lone_CR_at_the_end_of_the_buffer_waits_for_its_LF()
    {
        var reader = new FrameReader();

        var waiting = reader.TryRead(Bytes("\r"), out _, out int consumed, out _);
        var beat = reader.TryRead(Bytes("\r\n"), out _, out int consumed2, out _);

        Assert.That((waiting, consumed), Is.EqualTo((FrameReadResult.NeedMoreData, 0)));
        Assert.That((beat, consumed2), Is.EqualTo((FrameReadResult.HeartBeat, 2)));
    }

    [Test]
    public void CRLF_line_ends_are_accepted_and_stripped()
    {
        var harness = ForServerFrames().Feed(Bytes("MESSAGE\r\ndestination:/queue/a\r\nmessage-id:1\r\n\r\nbody\0"));

        var frame = harness.Frames.Single();
        Assert.That(frame.Headers["destination"], Is.EqualTo("/queue/a"));
        Assert.That(frame.Headers["message-id"], Is.EqualTo("1"));
        Assert.That(frame.Body, Is.EqualTo("body"));
    }

    [Test]
    public void The_first_of_repeated_headers_wins_and_all_are_kept_in_wire_order()
    {
        var frame = ForServerFrames().Feed(Bytes("MESSAGE\nfoo:first\nbar:x\nfoo:second\n\n\0")).Frames.Single();

        Assert.That(frame.Headers["foo"], Is.EqualTo("first"));
        Assert.That(frame.Headers.Select(h => $"{h.Key}={h.Value}"), Is.EqualTo(new[] { "foo=first", "bar=x", "foo=second" }));
    }

    [Test]
    public void A_header_value_may_hold_colons_and_be_empty()
    {
        var frame = ForServerFrames().Feed(Bytes("MESSAGE\nurl:tcp://h:1\nempty:\n\n\0")).Frames.Single();

        Assert.That(frame.Headers["url"], Is.EqualTo("tcp://h:1"));
        Assert.That(frame.Headers["empty"], Is.EqualTo(string.Empty));
    }

    [Test]
    public void A_content_length_body_may_contain_NULs()
    {
        byte[] body = [1, 0, 2, 0, 0, 3];
        byte[] input = [.. Bytes("MESSAGE\ncontent-length:6\n\n"), .. body, 0];

        var frame = ForServerFrames().Feed(input).Frames.Single();

        Assert.That(frame.BodyBytes.ToArray(), Is.EqualTo(body));
    }

    [Test]
    public void The_first_content_length_decides_where_the_body_ends()
    {
        var frame = ForServerFrames().Feed(Bytes("MESSAGE\ncontent-length:3\ncontent-length:9\n\na\0b\0")).Frames.Single();

        Assert.That(frame.BodyBytes.ToArray(), Is.EqualTo(Bytes("a\0b")));
    }

    [Test]
    public void Without_content_length_the_body_ends_at_the_first_NUL()
    {
        var harness = ForServerFrames().Feed(Bytes("MESSAGE\n\nab\0RECEIPT\nreceipt-id:1\n\n\0"));

        Assert.That(harness.Frames.Select(f => f.Command), Is.EqualTo(new[] { "MESSAGE", "RECEIPT" }));
        Assert.That(harness.Frames[0].Body, Is.EqualTo("ab"));
    }

    [Test]
    public void A_frame_without_body_has_empty_body_bytes_and_text()
    {
        var frame = ForServerFrames().Feed(Bytes("RECEIPT\nreceipt-id:1\n\n\0")).Frames.Single();

        Assert.That(frame.BodyBytes.IsEmpty, Is.True);
        Assert.That(frame.Body, Is.Empty);
    }

    [Test]
    public void The_body_text_is_UTF8_and_decoded_once()
    {
        var frame = ForServerFrames().Feed(Bytes("MESSAGE\n\nпривет ✓\0")).Frames.Single();

        Assert.That(frame.Body, Is.EqualTo("привет ✓"));
        Assert.That(frame.Body, Is.SameAs(frame.Body));
    }

    [TestCase("MESSAGE\ndestination:/q\nmessage-id:a\\cb\n\nx\0")]
    [TestCase("MESSAGE\r\nreceipt:r\r\ncontent-length:5\r\n\r\na\0b\0c\0")]
    [TestCase("\n\r\nERROR\nmessage:bad\\\\thing\n\nsome detail\0\nRECEIPT\nreceipt-id:9\n\n\0")]
    public void A_frame_split_at_every_byte_position_parses_the_same(string text)
    {
        byte[] input = Bytes(text);
        var whole = new ReaderHarness(new FrameReader { Version = StompVersion.V1_2 }).Feed(input);

        for (int split = 0; split <= input.Length; split++)
        {
            var harness = new ReaderHarness(new FrameReader { Version = StompVersion.V1_2 });
            harness.Feed(input.AsSpan(0, split)).Feed(input.AsSpan(split));

            Assert.That(harness.Error, Is.Null, $"split at {split}");
            Assert.That(Describe(harness.Frames), Is.EqualTo(Describe(whole.Frames)), $"split at {split}");
            Assert.That(harness.HeartBeats, Is.GreaterThanOrEqualTo(whole.HeartBeats), $"split at {split}");
        }
    }

    [Test]
    public void A_stream_fed_one_byte_at_a_time_parses_the_same_as_fed_whole()
    {
        byte[] input = Bytes(Message + "\n" + "MESSAGE\ncontent-length:3\n\n\0\0\0\0" + Message);

        var whole = ForServerFrames().Feed(input);
        var bytewise = ForServerFrames().FeedInChunks(input, 1);

        Assert.That(whole.Frames, Has.Count.EqualTo(3));
        Assert.That(Describe(bytewise.Frames), Is.EqualTo(Describe(whole.Frames)));
    }

    [Test]
    public void While_a_frame_is_partial_nothing_is_consumed()
    {
        byte[] input = Bytes(Message);
        var reader = new FrameReader();

        for (int length = 1; length < input.Length; length++)
        {
            var result = reader.TryRead(input.AsSpan(0, length), out var frame, out int consumed, out _);
            Assert.That((result, consumed, frame), Is.EqualTo((FrameReadResult.NeedMoreData, 0, (Frame?)null)), $"length {length}");
        }
    }

    [TestCase(StompVersion.V1_0, "a\\nb\\c\\\\", "a\\nb\\c\\\\")]
    [TestCase(StompVersion.V1_1, "a\\nb\\cc\\\\d", "a\nb:c\\d")]
    [TestCase(StompVersion.V1_2, "a\\nb\\cc\\\\d\\re", "a\nb:c\\d\re")]
    public void Header_values_are_unescaped_by_the_negotiated_version(StompVersion version, string wire, string expected)
    {
        var reader = new FrameReader { Version = version };
        var frame = new ReaderHarness(reader).Feed(Bytes($"MESSAGE\nkey:{wire}\n\n\0")).Frames.Single();

        Assert.That(frame.Headers["key"], Is.EqualTo(expected));
    }

    [TestCase("MESSAGE\nkey:a\rb\n\n\0")]
    [TestCase("MESSAGE\nkey:ab\r\r\n\n\0")]
    [TestCase("MESSAGE\nk\rey:ab\n\n\0")]
    public void A_raw_CR_inside_a_STOMP_1_2_header_is_unexpected_data(string input)
    {
        var harness = new ReaderHarness(new FrameReader { Version = StompVersion.V1_2 }).Feed(Bytes(input));

        Assert.That(harness.Frames, Is.Empty);
        Assert.That(harness.Error!.Code, Is.EqualTo(ErrorCode.E_UNEXPECTED_DATA));
        Assert.That(harness.Error.Message, Is.EqualTo("Malformed frame received: raw carriage return inside a STOMP 1.2 header (it must be escaped as \\r)"));
    }

    [TestCase(StompVersion.V1_0)]
    [TestCase(StompVersion.V1_1)]
    public void A_raw_CR_inside_a_header_passes_in_STOMP_1_0_and_1_1_whose_grammars_allow_it(StompVersion version)
    {
        var frame = new ReaderHarness(new FrameReader { Version = version }).Feed(Bytes("MESSAGE\nkey:a\rb\r\n\n\0")).Frames.Single();

        Assert.That(frame.Headers["key"], Is.EqualTo("a\rb"));
    }

    [Test]
    public void Header_names_are_unescaped_too()
    {
        var reader = new FrameReader { Version = StompVersion.V1_2 };
        var frame = new ReaderHarness(reader).Feed(Bytes("MESSAGE\na\\cb:v\n\n\0")).Frames.Single();

        Assert.That(frame.Headers["a:b"], Is.EqualTo("v"));
    }

    [Test]
    public void A_CONNECTED_frame_is_never_unescaped()
    {
        var reader = new FrameReader { Version = StompVersion.V1_2 };
        var frame = new ReaderHarness(reader).Feed(Bytes("CONNECTED\nserver:a\\c\\q\nversion:1.2\n\n\0")).Frames.Single();

        Assert.That(frame.Headers["server"], Is.EqualTo("a\\c\\q"));
    }

    [Test]
    public void A_CONNECT_or_STOMP_frame_read_by_a_broker_is_never_unescaped()
    {
        var reader = new FrameReader(FrameSource.Client) { Version = StompVersion.V1_2 };
        var harness = new ReaderHarness(reader).Feed(Bytes("CONNECT\npasscode:p\\w\n\n\0STOMP\nlogin:a\\b\n\n\0"));

        Assert.That(harness.Frames[0].Headers["passcode"], Is.EqualTo("p\\w"));
        Assert.That(harness.Frames[1].Headers["login"], Is.EqualTo("a\\b"));
    }

    [Test]
    public void The_version_set_after_CONNECTED_applies_to_the_frames_that_follow()
    {
        var reader = new FrameReader();
        var harness = new ReaderHarness(reader).Feed(Bytes("CONNECTED\nversion:1.1\n\n\0"));
        Assert.That(StompVersions.TryParse(harness.Frames[0].Headers["version"], out var version), Is.True);
        reader.Version = version;

        harness.Feed(Bytes("MESSAGE\ndestination:a\\cb\n\n\0"));

        Assert.That(harness.Frames[1].Headers["destination"], Is.EqualTo("a:b"));
    }

    [TestCase(StompVersion.V1_1, "a\\rb", "\\r")]
    [TestCase(StompVersion.V1_2, "a\\tb", "\\t")]
    [TestCase(StompVersion.V1_2, "a\\ b", "\\ ")]
    [TestCase(StompVersion.V1_1, "\\x", "\\x")]
    public void An_undefined_escape_sequence_is_a_protocol_error(StompVersion version, string value, string shown)
    {
        var harness = new ReaderHarness(new FrameReader { Version = version }).Feed(Bytes($"MESSAGE\nk:{value}\n\n\0"));

        AssertMalformed(harness, $"undefined escape sequence \"{shown}\" in a header");
    }

    [Test]
    public void A_backslash_ending_a_header_is_a_protocol_error()
    {
        var harness = new ReaderHarness(new FrameReader { Version = StompVersion.V1_2 }).Feed(Bytes("MESSAGE\nk:abc\\\n\n\0"));

        AssertMalformed(harness, "header ends with an incomplete escape sequence");
    }

    [Test]
    public void An_undefined_escape_in_a_long_header_is_found_too()
    {
        string value = new string('x', 1000) + "\\q";
        var harness = new ReaderHarness(new FrameReader { Version = StompVersion.V1_2 }).Feed(Bytes($"MESSAGE\nk:{value}\n\n\0"));

        AssertMalformed(harness, "undefined escape sequence \"\\q\" in a header");
    }

    [Test]
    public void A_long_escaped_header_is_unescaped_exactly()
    {
        string value = string.Concat(Enumerable.Repeat("ab\\cö\\n", 200));
        var reader = new FrameReader { Version = StompVersion.V1_1 };
        var frame = new ReaderHarness(reader).Feed(Bytes($"MESSAGE\nk:{value}\n\n\0")).Frames.Single();

        Assert.That(frame.Headers["k"], Is.EqualTo(string.Concat(Enumerable.Repeat("ab:ö\n", 200))));
    }

    [TestCase("SEND\n\n\0", "unknown command \"SEND\"")]
    [TestCase("message\n\n\0", "unknown command \"message\"")]
    [TestCase("HTTP/1.1 200 OK\r\n\r\n", "unknown command \"HTTP/1.1 200 OK\"")]
    [TestCase("\rMESSAGE\n\n\0", "unknown command \"\\x0DMESSAGE\"")]
    [TestCase("\0\n", "unknown command \"\\x00\"")]
    public void A_command_a_server_may_not_send_is_a_protocol_error(string input, string detail)
    {
        AssertMalformed(ForServerFrames().Feed(Bytes(input)), detail);
    }

    [TestCase("CONNECT")]
    [TestCase("STOMP")]
    [TestCase("SEND")]
    [TestCase("SUBSCRIBE")]
    [TestCase("UNSUBSCRIBE")]
    [TestCase("ACK")]
    [TestCase("NACK")]
    [TestCase("BEGIN")]
    [TestCase("COMMIT")]
    [TestCase("ABORT")]
    [TestCase("DISCONNECT")]
    public void A_broker_side_reader_accepts_every_client_command(string command)
    {
        var harness = new ReaderHarness(new FrameReader(FrameSource.Client)).Feed(Bytes($"{command}\nreceipt:1\n\n\0"));

        Assert.That(harness.Frames.Single().Command, Is.EqualTo(command));
    }

    [TestCase("CONNECTED")]
    [TestCase("MESSAGE")]
    [TestCase("RECEIPT")]
    [TestCase("ERROR")]
    public void A_broker_side_reader_refuses_server_commands(string command)
    {
        AssertMalformed(new ReaderHarness(new FrameReader(FrameSource.Client)).Feed(Bytes($"{command}\n\n\0")), $"unknown command \"{command}\"");
    }

    [Test]
    public void A_header_line_without_colon_is_a_protocol_error()
    {
        AssertMalformed(ForServerFrames().Feed(Bytes("MESSAGE\nno-colon-here\n\n\0")), "header line without colon \"no-colon-here\"");
    }

    [Test]
    public void A_header_with_an_empty_name_is_a_protocol_error()
    {
        AssertMalformed(ForServerFrames().Feed(Bytes("MESSAGE\n:value\n\n\0")), "header with an empty name");
    }

    [TestCase("abc")]
    [TestCase("-1")]
    [TestCase("+5")]
    [TestCase(" 5")]
    [TestCase("5 ")]
    [TestCase("")]
    [TestCase("0x10")]
    [TestCase("1.5")]
    public void A_content_length_that_is_not_a_decimal_number_is_a_protocol_error(string value)
    {
        AssertMalformed(ForServerFrames().Feed(Bytes($"MESSAGE\ncontent-length:{value}\n\nabc\0")), $"invalid content-length \"{value}\"");
    }

    [Test]
    public void A_content_length_body_not_followed_by_NUL_is_a_protocol_error()
    {
        AssertMalformed(ForServerFrames().Feed(Bytes("MESSAGE\ncontent-length:2\n\nabc\0")), "the body of content-length bytes is not followed by NUL");
    }

    [Test]
    public void A_frame_beyond_the_size_limit_fails_before_it_is_complete()
    {
        var limits = new FrameLimits { MaxFrameSize = 100 };
        var harness = ForServerFrames(limits).Feed(Bytes("MESSAGE\n\n")).FeedInChunks(new byte[200].Select(_ => (byte)'x').ToArray(), 7);

        AssertMalformed(harness, "frame larger than 100 bytes");
        Assert.That(harness.Pending, Is.LessThanOrEqualTo(100 + 7));
        Assert.That(harness.MaxPendingWhileWaiting, Is.LessThan(100));
    }

    [Test]
    public void A_frame_of_exactly_the_size_limit_is_accepted()
    {
        byte[] frame = Bytes("MESSAGE\n\n" + new string('x', 90) + "\0");
        Assert.That(frame, Has.Length.EqualTo(100));

        var harness = ForServerFrames(new FrameLimits { MaxFrameSize = 100 }).FeedInChunks(frame, 3);

        Assert.That(harness.Error, Is.Null);
        Assert.That(harness.Frames.Single().Body, Has.Length.EqualTo(90));
    }

    [Test]
    public void Headers_beyond_the_size_limit_fail_without_waiting_for_their_end_even_when_all_arrived_at_once()
    {
        var limits = new FrameLimits { MaxFrameSize = 100, MaxHeaderCount = 1000 };
        string headers = string.Concat(Enumerable.Range(0, 50).Select(i => $"h{i}:v\n"));
        var reader = new FrameReader(FrameSource.Server, limits);

        var result = reader.TryRead(Bytes($"MESSAGE\n{headers}\n\0"), out var frame, out _, out var error);

        Assert.That((result, frame), Is.EqualTo((FrameReadResult.Error, (Frame?)null)));
        Assert.That(error!.Message, Is.EqualTo("Malformed frame received: frame larger than 100 bytes"));
        Assert.That(reader.ScannedBytes, Is.LessThanOrEqualTo(100), "parsing stopped at the limit");
    }

    [Test]
    public void A_content_length_beyond_the_size_limit_fails_before_the_body_arrives()
    {
        var harness = ForServerFrames(new FrameLimits { MaxFrameSize = 1000 }).Feed(Bytes("MESSAGE\ncontent-length:991\n\n"));

        AssertMalformed(harness, "frame larger than 1000 bytes");
    }

    [Test]
    public void A_huge_content_length_fails_without_overflowing()
    {
        var harness = ForServerFrames().Feed(Bytes("MESSAGE\ncontent-length:99999999999999999999999\n\n"));

        AssertMalformed(harness, $"frame larger than {FrameLimits.Default.MaxFrameSize} bytes");
    }

    [Test]
    public void Headers_beyond_the_count_limit_are_a_protocol_error()
    {
        var limits = new FrameLimits { MaxHeaderCount = 3 };

        var three = ForServerFrames(limits).Feed(Bytes("MESSAGE\na:1\nb:2\nc:3\n\n\0"));
        var four = ForServerFrames(limits).Feed(Bytes("MESSAGE\na:1\nb:2\nc:3\nd:4\n"));

        Assert.That(three.Frames, Has.Count.EqualTo(1));
        AssertMalformed(four, "more than 3 headers");
    }

    [Test]
    public void A_header_line_beyond_the_length_limit_fails_before_its_EOL_arrives()
    {
        var limits = new FrameLimits { MaxHeaderLineLength = 50 };
        var harness = ForServerFrames(limits).Feed(Bytes("MESSAGE\nk:")).FeedInChunks(Bytes(new string('v', 200)), 5);

        AssertMalformed(harness, "header line longer than 50 bytes");
        Assert.That(harness.MaxPendingWhileWaiting, Is.LessThanOrEqualTo("MESSAGE\n".Length + 52));
    }

    [Test]
    public void A_header_line_of_exactly_the_length_limit_is_accepted_with_CRLF()
    {
        string line = "k:" + new string('v', 48);
        var harness = ForServerFrames(new FrameLimits { MaxHeaderLineLength = 50 }).FeedInChunks(Bytes($"MESSAGE\r\n{line}\r\n\r\n\0"), 1);

        Assert.That(harness.Error, Is.Null);
        Assert.That(harness.Frames.Single().Headers["k"], Has.Length.EqualTo(48));
    }

    [Test]
    public void A_complete_header_line_beyond_the_length_limit_is_a_protocol_error()
    {
        var harness = ForServerFrames(new FrameLimits { MaxHeaderLineLength = 50 }).Feed(Bytes($"MESSAGE\nk:{new string('v', 49)}\n\n\0"));

        AssertMalformed(harness, "header line longer than 50 bytes");
    }

    [Test]
    public void A_command_line_beyond_the_length_limit_fails_before_its_EOL_arrives()
    {
        var harness = ForServerFrames(new FrameLimits { MaxCommandLineLength = 16 }).FeedInChunks(Bytes(new string('A', 100)), 1);

        AssertMalformed(harness, "command line longer than 16 bytes");
        Assert.That(harness.MaxPendingWhileWaiting, Is.LessThanOrEqualTo(17));
    }

    [Test]
    public void After_an_error_the_reader_keeps_answering_with_that_error()
    {
        var reader = new FrameReader();
        reader.TryRead(Bytes("BOGUS\n\n\0"), out _, out _, out var first);

        var again = reader.TryRead(Bytes(Message), out var frame, out int consumed, out var second);

        Assert.That(again, Is.EqualTo(FrameReadResult.Error));
        Assert.That((frame, consumed), Is.EqualTo(((Frame?)null, 0)));
        Assert.That(second, Is.SameAs(first));
        Assert.That(reader.Fault, Is.SameAs(first));
    }

    [Test]
    public void A_large_NUL_terminated_body_fed_in_small_chunks_is_scanned_once()
    {
        const int BodySize = 1 << 20;
        byte[] input = [.. Bytes("MESSAGE\ndestination:/q\n\n"), .. Enumerable.Repeat((byte)'b', BodySize), 0];
        var harness = ForServerFrames();

        harness.FeedInChunks(input, 512);

        Assert.That(harness.Frames.Single().BodyBytes.Length, Is.EqualTo(BodySize));
        // Re-scanning from the frame start on every chunk would examine about 1 GiB here.
        Assert.That(harness.Reader.ScannedBytes, Is.LessThanOrEqualTo(input.Length));
    }

    [Test]
    public void Many_headers_fed_a_byte_at_a_time_are_each_scanned_once()
    {
        string headers = string.Concat(Enumerable.Range(0, 500).Select(i => $"header-{i}:{new string('v', 100)}\n"));
        byte[] input = Bytes($"MESSAGE\n{headers}\n\0");
        var harness = ForServerFrames();

        harness.FeedInChunks(input, 1);

        Assert.That(harness.Frames.Single().Headers, Has.Count.EqualTo(500));
        Assert.That(harness.Reader.ScannedBytes, Is.LessThanOrEqualTo(input.Length));
    }

    [Test]
    public void Known_header_names_are_shared_strings_and_values_are_created_once()
    {
        var frame = ForServerFrames().Feed(Bytes("MESSAGE\ndestination:/q\nmessage-id:1\n\n\0")).Frames.Single();

        Assert.That(frame.Headers[0].Key, Is.SameAs("destination"));
        Assert.That(frame.Headers["destination"], Is.SameAs(frame.Headers["destination"]));
    }

    internal static void AssertMalformed(ReaderHarness harness, string detail)
    {
        Assert.That(harness.Error, Is.Not.Null, "the reader should have failed");
        Assert.That(harness.Error!.Code, Is.EqualTo(E_UNEXPECTED_DATA));
        Assert.That(harness.Error.Message, Is.EqualTo("Malformed frame received: " + detail));
        Assert.That(harness.Error.Frame, Is.Null);
    }

    internal static IEnumerable<string> Describe(IEnumerable<Frame> frames) =>
        frames.Select(f => $"{f.Command}|{f.Headers}|{Convert.ToHexString(f.BodyBytes.Span)}");
}
