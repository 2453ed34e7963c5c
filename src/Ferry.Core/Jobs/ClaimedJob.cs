namespace Ferry.Core.Jobs;

/// <summary>One concurrency slot a claim needs: any free one below <see cref="Limit"/> on <see cref="Resource"/> (<see cref="Endpoints.IConcurrencySlots"/>).</summary>
public sealed record SlotRequest(string Resource, int Limit);

/// <summary>A slot taken: renewed and given back through <see cref="Endpoints.IConcurrencySlots"/>.</summary>
public sealed record HeldSlot(string Resource, int Slot);

/// <summary>A job claimed together with its slots (<see cref="IJobStore.ClaimAsync"/>).</summary>
public sealed record ClaimedJob(TransferJob Job, IReadOnlyList<HeldSlot> Slots);
