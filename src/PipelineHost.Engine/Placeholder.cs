namespace PipelineHost.Engine;
