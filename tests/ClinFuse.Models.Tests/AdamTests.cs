using ClinFuse.Core;
using ClinFuseAdam = ClinFuse.Models.Training.Adam;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClinFuse.Models.Tests;

/// <summary>ClinFuse's <see cref="ClinFuseAdam">Adam</see> is TorchSharp's: the same updates to the bit and the same saved state.</summary>
public sealed class AdamTests
{
    public AdamTests() => TorchRuntime.Initialize(new ComputeSettings(2));

    /// <summary>A two-layer network, a "loss" parameter in its own group, and a layer that never gets a gradient.</summary>
    sealed class Problem : IDisposable
    {
        public readonly Linear First, Second, Unused;
        public readonly Parameter LogVar;

        public Problem()
        {
            using var _ = NewDisposeScope();
            manual_seed(11);
            First = nn.Linear(6, 5);
            Second = nn.Linear(5, 3);
            Unused = nn.Linear(3, 2);
            LogVar = new Parameter(linspace(-0.2, 0.3, 3).DetachFromDisposeScope());
        }

        public IEnumerable<Parameter> Network => First.parameters().Concat(Second.parameters()).Concat(Unused.parameters());

        public List<Adam.ParamGroup> Groups() =>
        [
            new(Network, new Adam.Options { LearningRate = 0.01, beta1 = 0.9, beta2 = 0.9, eps = 1e-8 }),
            new([LogVar], new Adam.Options { LearningRate = 7e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }),
        ];

        /// <summary>One training step on a fixed batch: an uncertainty-weighted BCE, as the trainer's.</summary>
        public void Step(optim.Optimizer optimizer, int step)
        {
            using var _ = NewDisposeScope();
            var generator = new Generator((ulong)(100 + step));
            var x = randn([8, 6], generator: generator);
            var y = rand([8, 3], generator: generator).gt(0.5).to_type(ScalarType.Float32);
            var p = Second.call(First.call(x).tanh()).sigmoid();
            var perLabel = nn.functional.binary_cross_entropy(p, y, reduction: nn.Reduction.None).mean([0]);
            var loss = ((-LogVar).exp() * perLabel + 0.5 * LogVar).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }

        public IEnumerable<float[]> Values() => Network.Append(LogVar).Select(t => t.data<float>().ToArray());

        public void Dispose()
        {
            First.Dispose();
            Second.Dispose();
            Unused.Dispose();
            LogVar.Dispose();
        }
    }

    static byte[] SavedState(optim.Optimizer optimizer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            ((OptimizerHelper)optimizer).save_state_dict(writer);
        return stream.ToArray();
    }

    [Fact]
    public void Steps_and_saved_state_equal_torchsharps_adam_to_the_bit_across_a_learning_rate_change()
    {
        using var reference = new Problem();
        using var held = new Problem();
        using var torchAdam = optim.Adam(reference.Groups(), 0.01, 0.9, 0.9, 1e-8);
        using var heldAdam = new ClinFuseAdam(held.Groups(), 0.01, 0.9, 0.9, 1e-8);
        var initial = held.Values().ToList();
        for (int step = 0; step < 6; step++)
        {
            if (step == 3) // as the plateau scheduler does
                foreach (var optimizer in new optim.Optimizer[] { torchAdam, heldAdam })
                    foreach (var group in optimizer.ParamGroups) group.LearningRate *= 0.5;
            reference.Step(torchAdam, step);
            held.Step(heldAdam, step);
            Assert.Equal(reference.Values(), held.Values());
        }
        // It trained, and skipped the layer without a gradient as TorchSharp's Adam does.
        Assert.NotEqual(initial[0], held.Values().First());
        Assert.Equal(initial[4], held.Unused.weight!.data<float>().ToArray());
        Assert.Equal(SavedState(torchAdam), SavedState(heldAdam));
    }

    [Fact]
    public void It_continues_from_a_state_torchsharps_adam_saved()
    {
        using var reference = new Problem();
        using var resumed = new Problem();
        using var torchAdam = optim.Adam(reference.Groups(), 0.01, 0.9, 0.9, 1e-8);
        for (int step = 0; step < 3; step++) reference.Step(torchAdam, step);
        using (no_grad())
            foreach (var (to, from) in resumed.Network.Append(resumed.LogVar).Zip(reference.Network.Append(reference.LogVar)))
                to.copy_(from);
        using var heldAdam = new ClinFuseAdam(resumed.Groups(), 0.01, 0.9, 0.9, 1e-8);
        using (var reader = new BinaryReader(new MemoryStream(SavedState(torchAdam))))
            heldAdam.load_state_dict(reader);
        for (int step = 3; step < 6; step++)
        {
            reference.Step(torchAdam, step);
            resumed.Step(heldAdam, step);
            Assert.Equal(reference.Values(), resumed.Values());
        }
    }

    [Fact]
    public void Options_it_does_not_implement_are_refused()
    {
        using var problem = new Problem();
        foreach (var options in new[] { new Adam.Options { weight_decay = 0.1 }, new Adam.Options { amsgrad = true }, new Adam.Options { maximize = true } })
            Assert.Throws<ArgumentException>(() => new ClinFuseAdam([new Adam.ParamGroup(problem.Network, options)], 0.01, 0.9, 0.999, 1e-8));
    }
}
