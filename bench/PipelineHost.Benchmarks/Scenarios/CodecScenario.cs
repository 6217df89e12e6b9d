using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Engine.Tasks;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Json;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>Scenario 9: encode/decode of a request envelope and a TASK_STATUS response, JSON and MessagePack vs source-generated STJ.</summary>
public static class CodecScenario
{
    public const string Name = "codecs";

    private static readonly string[] Operations = ["EncodeRequest", "DecodeRequest", "EncodeStatus", "DecodeStatus"];

    public static void Run(Report report, bool quick)
    {
        // BenchmarkDotNet swallows a failing setup into "produced no result": run it once here so its message shows
        // (the baseline must stay equivalent to TASK_STATUS as fields are added).
        new CodecBenchmarks().Setup();
        var results = Bdn.Run<CodecBenchmarks>(quick, rounds: 3);
        foreach (var op in Operations)
        {
            var baseline = $"Baseline_{op}";
            foreach (var subject in new[] { "Json", "MessagePack" })
            {
                var name = $"{subject}_{op}";
                report.Add(new ReportRow(Name, $"{subject} {op} time", results.MedianNs(name), results.MedianNs(baseline), "ns/op", null, false));
                report.Add(new ReportRow(Name, $"{subject} {op} allocated", results.MedianBytes(name), results.MedianBytes(baseline), "B/op", null, false));
            }
        }

        report.Note(Name, "BenchmarkDotNet in process (InProcessEmit toolchain, MemoryDiagnoser), a short job of "
            + $"{(quick ? "2 warm-up + 4" : "4 warm-up + 8")} iterations, run 3 times; each figure is the median of the 3 runs' medians. "
            + "Subject: `JsonMessageCodec` and `MessagePackMessageCodec` on `RequestMessage`/`ResponseMessage` (JsonObject bodies). "
            + "Baseline: System.Text.Json source-generated serialization of equivalent typed classes (bench/…/Baselines/StatusPoco.cs). "
            + "The request is `rrext_get_task_status` with a token; the response carries `TaskStatusWriter.Placeholder`. "
            + "No aim was set: the ratios show what the untyped JsonNode model costs. Single-threaded, no driver process.");
    }
}

[MemoryDiagnoser]
public class CodecBenchmarks
{
    private const string Token = "tk_977161eedfc60c1334567cdc200bcc42";

    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private Utf8JsonWriter _writer = null!;
    private RequestMessage _request = null!;
    private ResponseMessage _response = null!;
    private RequestPoco _requestPoco = null!;
    private ResponsePoco _responsePoco = null!;
    private byte[] _jsonRequest = null!;
    private byte[] _jsonResponse = null!;
    private byte[] _packRequest = null!;
    private byte[] _packResponse = null!;
    private byte[] _pocoRequest = null!;
    private byte[] _pocoResponse = null!;

    [GlobalSetup]
    public void Setup()
    {
        _writer = new Utf8JsonWriter(_buffer);
        _request = new RequestMessage("rrext_get_task_status") { Seq = 42, Arguments = new JsonObject { ["token"] = Token } };
        var status = TaskStatusWriter.Placeholder("4f9b1b7e-0000-4000-8000-000000000001", "webhook_1");
        _response = new ResponseMessage(42, "rrext_get_task_status", true) { Seq = 17, Body = status };
        _requestPoco = new RequestPoco { Seq = 42, Command = "rrext_get_task_status", Arguments = new RequestArgumentsPoco { Token = Token } };
        _responsePoco = new ResponsePoco
        {
            Seq = 17,
            RequestSeq = 42,
            Command = "rrext_get_task_status",
            Success = true,
            Body = JsonSerializer.Deserialize(status.ToJsonString(), BaselineJsonContext.Default.TaskStatusPoco),
        };
        _jsonRequest = JsonMessageCodec.Instance.EncodeToArray(_request, out _);
        _jsonResponse = JsonMessageCodec.Instance.EncodeToArray(_response, out _);
        _packRequest = MessagePackMessageCodec.Instance.EncodeToArray(_request);
        _packResponse = MessagePackMessageCodec.Instance.EncodeToArray(_response);
        _pocoRequest = JsonSerializer.SerializeToUtf8Bytes(_requestPoco, BaselineJsonContext.Default.RequestPoco);
        _pocoResponse = JsonSerializer.SerializeToUtf8Bytes(_responsePoco, BaselineJsonContext.Default.ResponsePoco);
        if (Math.Abs(_pocoResponse.Length - _jsonResponse.Length) > 16)
            throw new InvalidOperationException($"The baseline response ({_pocoResponse.Length} B) is not equivalent to the subject's ({_jsonResponse.Length} B).");
    }

    [Benchmark]
    public int Json_EncodeRequest()
    {
        _buffer.ResetWrittenCount();
        JsonMessageCodec.Instance.Encode(_request, _buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int MessagePack_EncodeRequest()
    {
        _buffer.ResetWrittenCount();
        MessagePackMessageCodec.Instance.Encode(_request, _buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int Baseline_EncodeRequest()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, _requestPoco, BaselineJsonContext.Default.RequestPoco);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public object Json_DecodeRequest() => JsonMessageCodec.Instance.Decode(_jsonRequest, false);

    [Benchmark]
    public object MessagePack_DecodeRequest() => MessagePackMessageCodec.Instance.Decode(_packRequest, true);

    [Benchmark]
    public object? Baseline_DecodeRequest() => JsonSerializer.Deserialize(_pocoRequest, BaselineJsonContext.Default.RequestPoco);

    [Benchmark]
    public int Json_EncodeStatus()
    {
        _buffer.ResetWrittenCount();
        JsonMessageCodec.Instance.Encode(_response, _buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int MessagePack_EncodeStatus()
    {
        _buffer.ResetWrittenCount();
        MessagePackMessageCodec.Instance.Encode(_response, _buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int Baseline_EncodeStatus()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, _responsePoco, BaselineJsonContext.Default.ResponsePoco);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public object Json_DecodeStatus() => JsonMessageCodec.Instance.Decode(_jsonResponse, false);

    [Benchmark]
    public object MessagePack_DecodeStatus() => MessagePackMessageCodec.Instance.Decode(_packResponse, true);

    [Benchmark]
    public object? Baseline_DecodeStatus() => JsonSerializer.Deserialize(_pocoResponse, BaselineJsonContext.Default.ResponsePoco);
}
