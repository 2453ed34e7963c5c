namespace Ferry.TestRig;

/// <summary>
/// Waits for something a server or a background task does in its own time (a connection closed,
/// an upload aborted), polling every 50 ms; fails with <c>failure</c> when it has not happened in time.
/// </summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string failure, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(60);
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{failure} within {limit.TotalSeconds:0} s");
            }

            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string failure, TimeSpan? within = null) =>
        TrueAsync(() => Task.FromResult(condition()), failure, within);
}
