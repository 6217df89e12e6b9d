using PipelineHost.Pipelines.Components;

[assembly: ComponentInterfaceVersion(ComponentInterface.Version)]
