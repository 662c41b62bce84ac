using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Networks;

/// <summary>
/// The reference CXR encoder (<c>cxr_model</c>): <c>vision_backbone</c> = ResNet-34 without fc (512-d
/// feature) and <c>classifier</c> = Sequential(Linear(512, vision classes)) as the uni-CXR head.
/// </summary>
public sealed class CxrEncoder : Module<Tensor, Tensor>
{
    /// <summary>The ResNet-34 feature extractor.</summary>
    public ResNet34Backbone vision_backbone { get; }

    /// <summary>The uni-CXR head; its single Linear is <c>classifier.0</c>.</summary>
    public Sequential classifier { get; }

    /// <summary>Builds the encoder with a head of <paramref name="visionNumClasses"/> outputs.</summary>
    public CxrEncoder(int visionNumClasses) : base(nameof(CxrEncoder))
    {
        vision_backbone = new ResNet34Backbone();
        classifier = Sequential(Linear(ResNet34Backbone.FeatureDim, visionNumClasses));
        register_module(nameof(vision_backbone), vision_backbone);
        register_module(nameof(classifier), classifier);
    }

    /// <summary>The 512-d feature of each image.</summary>
    public override Tensor forward(Tensor images) => vision_backbone.call(images);
}
