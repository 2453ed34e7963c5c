using Ferry.TestRig;

namespace Ferry.Connectors.Tests;

[CollectionDefinition("rig")]
public sealed class RigCollection : ICollectionFixture<Rig>;
