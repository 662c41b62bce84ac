using ClinFuse.Core;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Networks;

/// <summary>
/// torchvision's ResNet-34 with <c>fc</c> replaced by the identity: the global-average-pooled 512-d
/// feature. Names, shapes and order of every state-dict entry equal torchvision's (<c>conv1</c>,
/// <c>bn1</c>, <c>layer1.0.conv1</c>, <c>layer2.0.downsample.0</c>, …), so PyTorch weights load 1:1.
/// Written out rather than taken from TorchVision.NET because that class keeps its stages private
/// and always owns an <c>fc</c> layer; here the stages are reachable for inspection.
/// </summary>
public sealed class ResNet34Backbone : Module<Tensor, Tensor>
{
    static readonly int[] BlocksPerStage = [3, 4, 6, 3];
    static readonly int[] WidthPerStage = [64, 128, 256, 512];

    readonly Conv2d conv1;
    readonly BatchNormLayer bn1;
    readonly Sequential[] stages;

    /// <summary>Width of the feature vector.</summary>
    public const int FeatureDim = 512;

    /// <summary>Builds a randomly initialised backbone.</summary>
    public ResNet34Backbone() : base(nameof(ResNet34Backbone))
    {
        conv1 = Conv2d(3, 64, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNormLayer.Over2d(64);
        register_module(nameof(conv1), conv1);
        register_module(nameof(bn1), bn1);
        stages = new Sequential[4];
        int inWidth = 64;
        for (int s = 0; s < 4; s++)
        {
            var blocks = new List<(string, Module<Tensor, Tensor>)>();
            for (int b = 0; b < BlocksPerStage[s]; b++)
            {
                int stride = s > 0 && b == 0 ? 2 : 1;
                blocks.Add((b.ToString(System.Globalization.CultureInfo.InvariantCulture), new BasicBlock(inWidth, WidthPerStage[s], stride)));
                inWidth = WidthPerStage[s];
            }
            stages[s] = Sequential(blocks);
            register_module($"layer{s + 1}", stages[s]);
        }
    }

    /// <summary>
    /// Layout and precision of the feature maps; set from the compute settings when the backbone is built.
    /// The feature (<see cref="forward"/>, <see cref="Pool"/>) and the maps of <see cref="Stem"/> and
    /// <see cref="Stage"/> (which the peers mix with their own float32 tensors) are float32 either way;
    /// a forward hook on a stage sees bfloat16 maps when the maps are.
    /// </summary>
    internal ImageMaps Maps
    {
        get => maps;
        set
        {
            maps = value;
            foreach (var stage in stages)
                foreach (var block in stage.children().Cast<BasicBlock>()) block.Maps = value;
        }
    }

    ImageMaps maps = TorchRuntime.ImageMaps;

    /// <inheritdoc />
    public override Tensor forward(Tensor images) => Forward(images, null);

    /// <summary>
    /// The 512-d feature; when <paramref name="trace"/> is given it receives conv1's output, the stem
    /// output (after max-pooling) and the output of each of the four stages, in that order.
    /// </summary>
    public Tensor Forward(Tensor images, List<Tensor>? trace)
    {
        var input = Maps.Input(images, training);
        var conv = Maps.Conv(conv1, input);
        if (!ReferenceEquals(input, images)) input.Dispose();
        trace?.Add(conv);
        var x = StemTail(conv);
        if (trace is null) conv.Dispose();
        trace?.Add(x);
        // Stage outputs stay with the caller's scope: a forward hook (Grad-CAM's on layer4) may hold them.
        foreach (var stage in stages)
        {
            x = stage.call(x);
            trace?.Add(x);
        }
        return Pool(x);
    }

    /// <summary>Stages after the stem (torchvision's <c>layer1</c> … <c>layer4</c>).</summary>
    public const int StageCount = 4;

    /// <summary>Channels of the map after stage <paramref name="stage"/>: 0 = the stem (64), 1–4 = <c>layer1</c>–<c>layer4</c> (64, 128, 256, 512).</summary>
    public static int ChannelsAfter(int stage) => stage == 0 ? 64 : WidthPerStage[stage - 1];

    /// <summary>conv1, bn1, ReLU and max-pooling: the map [N, 64, H/4, W/4] that enters <c>layer1</c>.</summary>
    public Tensor Stem(Tensor images)
    {
        var input = Maps.Input(images, training);
        using var conv = Maps.Conv(conv1, input);
        if (!ReferenceEquals(input, images)) input.Dispose();
        return Float32(StemTail(conv));
    }

    /// <summary>bn1, ReLU (in place, as torchvision's) and max-pooling after conv1.</summary>
    Tensor StemTail(Tensor conv)
    {
        using var normalised = bn1.call(conv).relu_();
        return functional.max_pool2d(normalised, kernel_size: 3, stride: 2, padding: 1);
    }

    /// <summary>Runs stage <paramref name="stage"/> (1–4 = <c>layer1</c>–<c>layer4</c>) on a feature map.</summary>
    public Tensor Stage(int stage, Tensor map) => Float32(stages[stage - 1].call(Maps.Input(map, training)));

    /// <summary><paramref name="map"/> itself when float32, else a float32 copy (the bfloat16 one is released).</summary>
    static Tensor Float32(Tensor map)
    {
        if (map.dtype == ScalarType.Float32) return map;
        using (map) return map.to(ScalarType.Float32);
    }

    /// <summary>The global average pool of a feature map: [N, C, h, w] → [N, C], float32 also for a bfloat16 map.</summary>
    public static Tensor Pool(Tensor map) => map.mean([2, 3], type: ScalarType.Float32);

    /// <summary>torchvision's BasicBlock: two 3×3 convolutions with BatchNorm and an identity or 1×1 downsample shortcut.</summary>
    sealed class BasicBlock : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1, conv2;
        readonly BatchNormLayer bn1, bn2;
        readonly Sequential? downsample;

        public ImageMaps Maps { get; set; } = TorchRuntime.ImageMaps;

        public BasicBlock(int inWidth, int width, int stride) : base(nameof(BasicBlock))
        {
            conv1 = Conv2d(inWidth, width, kernel_size: 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNormLayer.Over2d(width);
            conv2 = Conv2d(width, width, kernel_size: 3, stride: 1, padding: 1, bias: false);
            bn2 = BatchNormLayer.Over2d(width);
            register_module(nameof(conv1), conv1);
            register_module(nameof(bn1), bn1);
            register_module(nameof(conv2), conv2);
            register_module(nameof(bn2), bn2);
            if (stride != 1 || inWidth != width)
            {
                downsample = Sequential(Conv2d(inWidth, width, kernel_size: 1, stride: stride, bias: false), BatchNormLayer.Over2d(width));
                register_module(nameof(downsample), downsample);
            }
        }

        /// <summary>
        /// ReLU and the residual sum run in place on the BatchNorm outputs (BatchNorm's backward needs
        /// only its input), and every intermediate handle is released as soon as it is used, so the
        /// block holds no map that autograd does not keep anyway: torchvision's memory footprint.
        /// </summary>
        public override Tensor forward(Tensor x)
        {
            using var c1 = Maps.Conv(conv1, x);
            using var y1 = bn1.call(c1).relu_();
            using var c2 = Maps.Conv(conv2, y1);
            using var shortcut = downsample is null ? null : Shortcut(x);
            // In-place operations return the tensor they ran on (no new handle).
            return bn2.call(c2).add_(shortcut ?? x, HeldScalars.One).relu_();
        }

        Tensor Shortcut(Tensor x)
        {
            using var conv = Maps.Conv((Conv2d)downsample![0], x);
            return ((BatchNormLayer)downsample[1]).call(conv);
        }
    }
}
