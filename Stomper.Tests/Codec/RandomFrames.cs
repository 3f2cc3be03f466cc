using System.Buffers;
using System.Text;

namespace Stomper.Tests.Codec;

/// <summary>Random frames a given version can carry, and their bytes as the writer puts them on the wire.</summary>
internal sealed class RandomFrames(Random random)
{
    private static readonly string[] ServerCommands = ["CONNECTED", "MESSAGE", "RECEIPT", "ERROR"];
    private static readonly string[] ClientCommands =
        ["CONNECT", "STOMP", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT"];

    private static readonly string[] Plain = ["a", "b", "z", "0", "9", "-", " ", "ü", "€", "😀", "/", "."];

    public string Command(FrameSource source) =>
        source == FrameSource.Server ? ServerCommands[random.Next(ServerCommands.Length)] : ClientCommands[random.Next(ClientCommands.Length)];

    /// <summary>A frame with headers whose characters the version can carry in that command, and a random body.</summary>
    public Frame Next(FrameSource source, StompVersion version, int maxHeaders, int maxText, int maxBody)
    {
        string command = Command(source);
        bool escaped = HeaderEscaping.Applies(command, version);
        var headers = new List<(string, string)>();
        byte[] body = Body(maxBody);
        bool withLength = body.Contains((byte)0) || random.Next(2) == 0;
        for (int i = random.Next(maxHeaders + 1); i > 0; i--)
        {
            headers.Add(("h" + Text(maxText, escaped, version, isName: true), Text(maxText, escaped, version, isName: false)));
        }

        if (withLength && !(body.Length == 0 && random.Next(2) == 0))
        {
            headers.Insert(random.Next(headers.Count + 1), ("content-length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return new Frame(command, new FrameHeaders([.. headers]), body);
    }

    /// <summary>The frame's bytes exactly as its headers say (no content-length added).</summary>
    public static byte[] Bytes(Frame frame, StompVersion version)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new FrameWriter(output, version);
        writer.WriteCommand(frame.Command);
        foreach (var header in frame.Headers)
        {
            writer.WriteHeader(header.Key, header.Value);
        }

        writer.EndHeaders();
        writer.WriteBody(frame.BodyBytes.Span);
        return output.WrittenSpan.ToArray();
    }

    private string Text(int maxLength, bool escaped, StompVersion version, bool isName)
    {
        var text = new StringBuilder();
        for (int i = random.Next(maxLength + 1); i > 0; i--)
        {
            int pick = random.Next(Plain.Length + 4);
            text.Append(pick switch
            {
                _ when pick < Plain.Length => Plain[pick],
                _ when pick == Plain.Length => "\\",
                _ when pick == Plain.Length + 1 && (escaped || !isName) => ":",
                _ when pick == Plain.Length + 2 && escaped => "\n",
                _ when pick == Plain.Length + 3 && escaped && version >= StompVersion.V1_2 => "\r",
                _ => "x",
            });
        }

        return text.ToString();
    }

    private byte[] Body(int maxBody)
    {
        if (random.Next(4) == 0)
        {
            return [];
        }

        byte[] body = new byte[random.Next(maxBody + 1)];
        random.NextBytes(body);
        if (random.Next(2) == 0)
        {
            // Text-like bodies without NUL, to exercise NUL-terminated framing.
            for (int i = 0; i < body.Length; i++)
            {
                body[i] = (byte)('a' + (body[i] % 26));
            }
        }

        return body;
    }
}
