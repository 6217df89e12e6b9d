namespace PipelineHost.Engine.Tests;
