using Ferry.TestRig;

namespace Ferry.Engine.Tests;

[CollectionDefinition("rig")]
public sealed class RigCollection : ICollectionFixture<Rig>;
