using System.Diagnostics;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Definition;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Validation;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>What the runtime reports while objects flow: warnings and counters, for the task's status.</summary>
public interface IRunObserver
{
    /// <summary>A component warned.</summary>
    void Warn(string componentId, string message);

    /// <summary>A component counted something (<c>wordsCount</c>, <c>pagesProcessed</c>…).</summary>
    void Count(string counter, long amount);

    /// <summary>A component finished writing a file into the task's output folder.</summary>
    void FileWritten(string name, long size, string contentType);

    /// <summary>A component emitted a child object of <paramref name="size"/> bytes; it starts through the pipeline.</summary>
    void ChildOpened(ObjectContext child, long size)
    {
    }

    /// <summary>A child object ended: completed when <paramref name="error"/> is null, else failed with it.</summary>
    void ChildClosed(ObjectContext child, long size, string? error)
    {
    }
}

/// <summary>
/// Hears one object's way through the components: the pipe's component stack (status <c>pipeflow</c>) and the
/// trace of <c>apaevt_flow</c>. Calls for one object never overlap: an object's run is sequential.
/// </summary>
public interface IObjectFlow
{
    /// <summary>
    /// The object entered <paramref name="componentId"/>: with a <paramref name="payload"/> on
    /// <paramref name="lane"/> for a write, with neither when the component is being closed.
    /// </summary>
    void Enter(string componentId, string? lane, LanePayload? payload);

    /// <summary>The component returned.</summary>
    void Leave(string componentId);
}

/// <summary>
/// A pipeline's components, configured once for a task and joined by their lanes in topological order. Every
/// object gets its own <see cref="ObjectRun"/>; the graph itself is shared and immutable.
/// </summary>
public sealed class PipelineGraph
{
    private readonly Node[] _order;
    private readonly Node _source;

    private PipelineGraph(Node[] order, Node source, SourceKind kind)
    {
        _order = order;
        _source = source;
        SourceKind = kind;
    }

    /// <summary>Whether the source runs until stopped or finishes by itself.</summary>
    public SourceKind SourceKind { get; }

    /// <summary>The source component (an <see cref="IBatchSource"/> for batch pipelines).</summary>
    public IComponent Source => _source.Component;

    /// <summary>The source's component id.</summary>
    public string SourceId => _source.Id;

    /// <summary>Creates every component of <paramref name="definition"/>.</summary>
    /// <exception cref="ComponentConfigException">A component refused its config.</exception>
    public static PipelineGraph Build(PipelineDefinition definition, ComponentCatalog catalog, ComponentEnvironment environment)
    {
        var nodes = new Dictionary<string, Node>(StringComparer.Ordinal);
        SourceKind kind = SourceKind.None;
        foreach (var component in definition.Components)
        {
            if (!catalog.TryGet(component.Provider, out var provider))
            {
                throw new ComponentConfigException($"Component \"{component.Id}\": unknown provider \"{component.Provider}\"");
            }

            IComponent instance;
            try
            {
                instance = provider.Create(PipelineValidator.ProviderConfig(component.Config, provider), environment);
            }
            catch (ComponentConfigException ex)
            {
                throw new ComponentConfigException($"Component \"{component.Id}\": {ex.Message}");
            }

            nodes[component.Id] = new Node(component.Id, instance) { Retry = component.Retry };
            if (component.Id == definition.Source)
            {
                kind = provider.Definition.Source;
            }
        }

        // In-degree counts producers, not edges: a response reading text and table from both the source and the
        // parser has two producers and four edges, and Kahn's algorithm below releases it once per producer.
        var indegree = nodes.Keys.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
        foreach (var component in definition.Components)
        {
            foreach (var input in component.Inputs)
            {
                nodes[input.From].AddListener(input.Lane, nodes[component.Id]);
            }

            indegree[component.Id] = component.Inputs.Select(i => i.From).Distinct(StringComparer.Ordinal).Count();
        }

        // Kahn's algorithm; the validator has already refused cycles.
        var order = new List<Node>();
        var ready = new Queue<string>(definition.Components.Select(c => c.Id).Where(id => indegree[id] == 0));
        while (ready.TryDequeue(out var id))
        {
            var node = nodes[id];
            order.Add(node);
            foreach (var listener in node.Listeners.Values.SelectMany(l => l).Distinct())
            {
                if (--indegree[listener.Id] == 0)
                {
                    ready.Enqueue(listener.Id);
                }
            }
        }

        if (order.Count != nodes.Count)
        {
            throw new ComponentConfigException("Pipeline has a cycle");
        }

        Node[] sorted = [.. order];
        foreach (var node in sorted)
        {
            node.Downstream = Downstream(node, sorted);
        }

        return new PipelineGraph(sorted, nodes[definition.Source], kind);
    }

    /// <summary><paramref name="start"/> and every component it feeds, directly or not, in topological order.</summary>
    private static Node[] Downstream(Node start, Node[] order)
    {
        var reached = new HashSet<Node> { start };
        var pending = new Stack<Node>([start]);
        while (pending.TryPop(out var node))
        {
            foreach (var listener in node.Listeners.Values.SelectMany(l => l))
            {
                if (reached.Add(listener))
                {
                    pending.Push(listener);
                }
            }
        }

        return [.. order.Where(reached.Contains)];
    }

    /// <summary>The retry policy of component <paramref name="componentId"/> itself, if it has one.</summary>
    public RetryPolicy? ComponentRetry(string componentId) =>
        _order.FirstOrDefault(n => n.Id == componentId)?.Retry;

    /// <summary>Starts pushing one object through the pipeline; <paramref name="flow"/> hears it enter and leave components.</summary>
    public ObjectRun Begin(ObjectContext context, IRunObserver observer, IObjectFlow? flow = null) => new(this, context, observer, flow, default, _source);

    /// <summary>
    /// As <see cref="Begin(ObjectContext, IRunObserver, IObjectFlow?)"/>, with one <see cref="PipelineTracing.ComponentSpan"/>
    /// per component under <paramref name="parent"/> (the host's object or task span) while anyone listens.
    /// </summary>
    public ObjectRun Begin(ObjectContext context, IRunObserver observer, IObjectFlow? flow, ActivityContext parent) => new(this, context, observer, flow, parent, _source);

    /// <summary>One component in the graph.</summary>
    internal sealed class Node(string id, IComponent component)
    {
        private readonly Dictionary<string, List<Node>> _listeners = new(StringComparer.Ordinal);

        public string Id { get; } = id;

        public IComponent Component { get; } = component;

        public RetryPolicy? Retry { get; init; }

        /// <summary>This node and every node it feeds, in topological order: what a child object it emits runs through.</summary>
        public Node[] Downstream { get; set; } = [];

        public IReadOnlyDictionary<string, List<Node>> Listeners => _listeners;

        public void AddListener(string lane, Node node)
        {
            if (!_listeners.TryGetValue(lane, out var list))
            {
                list = [];
                _listeners[lane] = list;
            }

            if (!list.Contains(node))
            {
                list.Add(node); // the same edge listed twice delivers once
            }
        }
    }

    /// <summary>
    /// One object on its way through the pipeline. Writes are pushed depth-first from the source; closing
    /// flushes components in topological order, so every component has all its input before it closes. A child
    /// object a component emits gets a run of its own, from that component on, nested in the emitting call.
    /// </summary>
    public sealed class ObjectRun
    {
        private readonly PipelineGraph _graph;
        private readonly Dictionary<Node, (IObjectProcessor Processor, Output Output)> _processors = [];
        private readonly IObjectFlow? _flow;
        private readonly IRunObserver _observer;
        private readonly Node _start;

        // The components this run passes through, in topological order: all of them for an object from the
        // source, the emitting component and those downstream of it for a child object.
        private readonly Node[] _nodes;

        // One span per component, in _order, each from the object's start until that component closed; null when not traced.
        private readonly Activity?[]? _spans;

        internal ObjectRun(PipelineGraph graph, ObjectContext context, IRunObserver observer, IObjectFlow? flow, ActivityContext parent, Node start)
        {
            _graph = graph;
            _flow = flow;
            _observer = observer;
            _start = start;
            _nodes = start == graph._source ? graph._order : start.Downstream;
            Context = context;
            foreach (var node in _nodes)
            {
                _processors[node] = (node.Component.Begin(context), new Output(this, node, observer));
            }

            if (parent != default && _nodes == graph._order && PipelineTracing.Source.HasListeners())
            {
                var ambient = Activity.Current;
                _spans = graph._order
                    .Select(node => PipelineTracing.Source.StartActivity(PipelineTracing.ComponentSpan, ActivityKind.Internal, parent)?.SetTag("pipelinehost.component.id", node.Id))
                    .ToArray();
                Activity.Current = ambient;
            }
        }

        /// <summary>The object.</summary>
        public ObjectContext Context { get; }

        /// <summary>Feeds a chunk of the object's bytes to the source.</summary>
        /// <exception cref="ComponentFailureException">A component failed (the innermost one is named).</exception>
        public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
            _spans is null
                ? WriteToAsync(_start, LaneNames.Tags, new BytesPayload(bytes), cancellationToken)
                : WriteTracedAsync(bytes, cancellationToken);

        private async ValueTask WriteTracedAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            try
            {
                await WriteToAsync(_start, LaneNames.Tags, new BytesPayload(bytes), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                EndSpans(ex);
                throw;
            }
        }

        /// <summary>Ends the object: every component flushes, in order.</summary>
        /// <exception cref="ComponentFailureException">A component failed (the innermost one is named).</exception>
        public async ValueTask CloseAsync(CancellationToken cancellationToken)
        {
            try
            {
                await CloseComponentsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (_spans is not null)
            {
                EndSpans(ex);
                throw;
            }
        }

        private async ValueTask CloseComponentsAsync(CancellationToken cancellationToken)
        {
            for (var i = 0; i < _nodes.Length; i++)
            {
                var node = _nodes[i];
                var (processor, output) = _processors[node];
                try
                {
                    if (_flow is null)
                    {
                        await processor.CloseAsync(output, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        _flow.Enter(node.Id, null, null);
                        try
                        {
                            await processor.CloseAsync(output, cancellationToken).ConfigureAwait(false);
                        }
                        finally
                        {
                            _flow.Leave(node.Id);
                        }
                    }

                    if (_spans is not null)
                    {
                        _spans[i]?.Dispose();
                        _spans[i] = null;
                    }
                }
                catch (Exception ex) when (Blame(ex))
                {
                    throw new ComponentFailureException(node.Id, ex);
                }
            }
        }

        /// <summary>The object was given up without a close (the host failed its pipe): its component spans end failed.</summary>
        public void Abandon(string reason)
        {
            for (var i = 0; _spans is not null && i < _spans.Length; i++)
            {
                if (_spans[i] is { } span)
                {
                    span.SetStatus(ActivityStatusCode.Error, reason);
                    span.Dispose();
                    _spans[i] = null;
                }
            }
        }

        // Ends every open component span; the one of the component blamed for the failure is marked failed.
        private void EndSpans(Exception failure)
        {
            var blamed = (failure as ComponentFailureException)?.ComponentId;
            for (var i = 0; i < _spans!.Length; i++)
            {
                if (_spans[i] is { } span)
                {
                    if (_graph._order[i].Id == blamed)
                    {
                        span.SetStatus(ActivityStatusCode.Error, failure.InnerException?.Message ?? failure.Message);
                    }

                    span.Dispose();
                    _spans[i] = null;
                }
            }
        }

        // A failure is blamed on the component it came out of, unless a listener further down already was.
        private static bool Blame(Exception ex) => ex is not ComponentFailureException and not OperationCanceledException and not OutOfMemoryException;

        private async ValueTask WriteToAsync(Node node, string lane, LanePayload payload, CancellationToken cancellationToken)
        {
            var (processor, output) = _processors[node];
            try
            {
                if (_flow is null)
                {
                    await processor.WriteAsync(lane, payload, output, cancellationToken).ConfigureAwait(false);
                    return;
                }

                // Delivery is depth-first, so entering here and leaving on return nests exactly like the call stack.
                _flow.Enter(node.Id, lane, payload);
                try
                {
                    await processor.WriteAsync(lane, payload, output, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _flow.Leave(node.Id);
                }
            }
            catch (Exception ex) when (Blame(ex))
            {
                throw new ComponentFailureException(node.Id, ex);
            }
        }

        private async ValueTask DeliverAsync(Node from, string lane, LanePayload payload, CancellationToken cancellationToken)
        {
            if (!from.Listeners.TryGetValue(lane, out var listeners))
            {
                return;
            }

            foreach (var listener in listeners)
            {
                await WriteToAsync(listener, lane, payload, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Runs <paramref name="child"/> of this object from <paramref name="emitter"/> on, and lists its answer in this object's result.</summary>
        private async ValueTask RunChildAsync(Node emitter, ChildObject child, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(child);
            var context = Context.Child(child.Name, child.MimeType, Guid.NewGuid().ToString("D"), child.Metadata?.DeepClone().AsObject());
            var size = child.Content.Length;
            _observer.ChildOpened(context, size);
            var answer = new JsonObject { ["name"] = context.Name, ["path"] = Context.Name, ["objectId"] = context.ObjectId };
            try
            {
                // The child's run shares this one's flow: it is nested in the emitting call, so enter/leave still nest.
                var run = new ObjectRun(_graph, context, _observer, _flow, default, emitter);
                await run.WriteAsync(child.Content, cancellationToken).ConfigureAwait(false);
                await run.CloseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                _observer.ChildClosed(context, size, ex.Message);
                answer["error"] = new JsonObject { ["message"] = ex.Message };
                Context.Result.AddObject(answer);
                if (ex is ObjectLimitException || ex.InnerException is ObjectLimitException)
                {
                    throw;
                }

                return;
            }

            _observer.ChildClosed(context, size, null);
            context.Result.WriteTo(answer);
            Context.Result.AddObject(answer);
        }

        private sealed class Output(ObjectRun run, Node node, IRunObserver observer) : IComponentOutput
        {
            public ValueTask EmitObjectAsync(ChildObject child, CancellationToken cancellationToken) =>
                run.RunChildAsync(node, child, cancellationToken);

            public ValueTask EmitAsync(string lane, LanePayload payload, CancellationToken cancellationToken) =>
                run.DeliverAsync(node, lane, payload, cancellationToken);

            public void Warn(string message) => observer.Warn(node.Id, message);

            public void Count(string counter, long amount) => observer.Count(counter, amount);

            public void FileWritten(string name, long size, string contentType) => observer.FileWritten(name, size, contentType);
        }
    }
}

/// <summary>A component failed while processing an object; the message is the component's own.</summary>
public sealed class ComponentFailureException : Exception
{
    /// <summary>Wraps <paramref name="inner"/>, thrown by component <paramref name="componentId"/>.</summary>
    public ComponentFailureException(string componentId, Exception inner)
        : base((inner ?? throw new ArgumentNullException(nameof(inner))).Message, inner) => ComponentId = componentId;

    /// <summary>The id of the component that failed.</summary>
    public string ComponentId { get; }
}
