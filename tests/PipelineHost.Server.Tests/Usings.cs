namespace PipelineHost.Server.Tests;
