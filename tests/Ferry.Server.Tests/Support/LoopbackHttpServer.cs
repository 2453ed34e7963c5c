using System.Net;
using Ferry.TestRig;

namespace Ferry.Server.Tests.Support;

/// <summary>
/// An HTTP server on a free loopback port (a webhook receiver, an OTLP collector): each request's
/// body is read whole and handed to <c>handle</c>, whose result is the status answered.
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerRequest, byte[], int> _handle;

    /// <param name="path">The path prefix served, ending in "/".</param>
    public LoopbackHttpServer(string path, Func<HttpListenerRequest, byte[], int> handle)
    {
        _handle = handle;
        Url = $"http://127.0.0.1:{LoopbackPort.Free()}{path}";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }

            var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            context.Response.StatusCode = _handle(context.Request, body.ToArray());
            context.Response.Close();
        }
    }
}
