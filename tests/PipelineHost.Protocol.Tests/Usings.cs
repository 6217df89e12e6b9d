namespace PipelineHost.Protocol.Tests;
