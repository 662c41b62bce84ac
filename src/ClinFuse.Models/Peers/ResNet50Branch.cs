using System.Globalization;
using ClinFuse.Models.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Peers;

/// <summary>
/// One of DrFuse's two CXR branches (<c>cxr_model_shared</c>, <c>cxr_model_spec</c>): torchvision
/// ResNet-50's <c>layer1</c>–<c>layer4</c> (bottleneck blocks) under the names <c>0</c>–<c>3</c>, the global
/// average pool, and <c>fc</c> (2048 → hidden). The reference appends <c>fc</c> without the pool, which
/// fails on every image; the pool is what ResNet-50 has before its own <c>fc</c> (docs/models.md).
/// </summary>
internal sealed class ResNet50Branch : Module<Tensor, Tensor>
{
    static readonly int[] BlocksPerStage = [3, 4, 6, 3];
    static readonly int[] WidthPerStage = [64, 128, 256, 512];

    /// <summary>Channels a stage's bottleneck outputs per unit of width.</summary>
    const int Expansion = 4;

    /// <summary>Channels of the pooled map before <c>fc</c>.</summary>
    public const int PooledDim = 512 * Expansion;

    readonly Sequential[] stages;
    readonly Linear fc;

    /// <summary>Builds a randomly initialised branch that takes the 64-channel stem map and returns <paramref name="hidden"/> features.</summary>
    public ResNet50Branch(int hidden) : base(nameof(ResNet50Branch))
    {
        TorchRuntime.EnsureLoaded();
        stages = new Sequential[BlocksPerStage.Length];
        int inWidth = 64;
        for (int s = 0; s < stages.Length; s++)
        {
            var blocks = new List<(string, Module<Tensor, Tensor>)>();
            for (int b = 0; b < BlocksPerStage[s]; b++)
            {
                blocks.Add((b.ToString(CultureInfo.InvariantCulture), new Bottleneck(inWidth, WidthPerStage[s], s > 0 && b == 0 ? 2 : 1)));
                inWidth = WidthPerStage[s] * Expansion;
            }
            stages[s] = Sequential(blocks);
            register_module(s.ToString(CultureInfo.InvariantCulture), stages[s]);
        }
        fc = Linear(PooledDim, hidden);
        register_module(nameof(fc), fc);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor stemMap)
    {
        var x = stemMap;
        foreach (var stage in stages) x = stage.call(x);
        return fc.call(x.mean([2, 3]));
    }

    /// <summary>torchvision's Bottleneck (v1.5: the stride on the 3×3 convolution), expansion 4.</summary>
    sealed class Bottleneck : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1, conv2, conv3;
        readonly BatchNormLayer bn1, bn2, bn3;
        readonly Sequential? downsample;

        public Bottleneck(int inWidth, int width, int stride) : base(nameof(Bottleneck))
        {
            conv1 = Conv2d(inWidth, width, kernel_size: 1, bias: false);
            bn1 = BatchNormLayer.Over2d(width);
            conv2 = Conv2d(width, width, kernel_size: 3, stride: stride, padding: 1, bias: false);
            bn2 = BatchNormLayer.Over2d(width);
            conv3 = Conv2d(width, width * Expansion, kernel_size: 1, bias: false);
            bn3 = BatchNormLayer.Over2d(width * Expansion);
            register_module(nameof(conv1), conv1);
            register_module(nameof(bn1), bn1);
            register_module(nameof(conv2), conv2);
            register_module(nameof(bn2), bn2);
            register_module(nameof(conv3), conv3);
            register_module(nameof(bn3), bn3);
            if (stride != 1 || inWidth != width * Expansion)
            {
                downsample = Sequential(Conv2d(inWidth, width * Expansion, kernel_size: 1, stride: stride, bias: false), BatchNormLayer.Over2d(width * Expansion));
                register_module(nameof(downsample), downsample);
            }
        }

        public override Tensor forward(Tensor x)
        {
            var y = functional.relu(bn1.call(conv1.call(x)));
            y = functional.relu(bn2.call(conv2.call(y)));
            y = bn3.call(conv3.call(y));
            return functional.relu(y + (downsample is null ? x : downsample.call(x)));
        }
    }
}
