using Ferry.TestRig;

namespace Ferry.Server.Tests;

[CollectionDefinition("rig")]
public sealed class RigCollection : ICollectionFixture<Rig>;
