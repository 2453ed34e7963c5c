using Ferry.TestRig;

namespace Ferry.Cli.Tests;

[CollectionDefinition("rig")]
public sealed class RigCollection : ICollectionFixture<Rig>;
