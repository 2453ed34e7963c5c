using Amazon.S3.Model;
using Ferry.Core.Streams;

namespace Ferry.Connectors.S3;

/// <summary>The body of a GET; disposing it releases the HTTP response. Errors become FerryExceptions.</summary>
internal sealed class S3ReadStream : ReadOnlyStream
{
    private readonly GetObjectResponse _response;
    private readonly Stream _body;
    private readonly string _where;

    public S3ReadStream(GetObjectResponse response, string where)
    {
        _response = response;
        _body = response.ResponseStream;
        _where = where;
    }

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _body.Read(buffer);
        }
        catch (Exception ex)
        {
            throw S3Errors.Classify(ex, _where);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw S3Errors.Classify(ex, _where);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
            _response.Dispose();
        }

        base.Dispose(disposing);
    }
}
