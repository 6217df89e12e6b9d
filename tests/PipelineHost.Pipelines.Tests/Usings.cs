namespace PipelineHost.Pipelines.Tests;
