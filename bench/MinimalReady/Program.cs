// Says "ready" and waits for stdin to close, like a worker that is up and idle.
Console.Out.WriteLine("ready");
Console.Out.Flush();
Console.In.ReadToEnd();
