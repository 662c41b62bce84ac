using ClinFuse.Core;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClinFuse.Models.Networks;

/// <summary>
/// The memory layout and arithmetic of an image encoder's feature maps (<see cref="ComputeSettings.ImageLayout"/>,
/// <see cref="ComputeSettings.ImagePrecision"/> as resolved by <see cref="TorchRuntime.Initialize"/>).
/// Shapes never change: a channels-last map is still [N, C, H, W], only its strides differ, and every
/// libtorch operation keeps the layout of its input, so converting the input once makes the whole
/// network run channels-last.
/// </summary>
/// <param name="Layout">Channels-first or channels-last maps.</param>
/// <param name="BFloat16">Convolutions and feature maps in bfloat16 (weights cast per call, so the trained copy stays float32).</param>
internal sealed record ImageMaps(ImageLayout Layout, bool BFloat16)
{
    /// <summary>Float32 channels-first maps: libtorch's defaults.</summary>
    public static ImageMaps ChannelsFirst { get; } = new(ImageLayout.ChannelsFirst, false);

    /// <summary>The defaults: <see cref="ImageLayout.Auto"/>, float32.</summary>
    public static ImageMaps Default { get; } = new(ImageLayout.Auto, false);

    /// <summary>Whether maps are channels-last in a module that is <paramref name="training"/> or not.</summary>
    public bool ChannelsLastWhen(bool training) =>
        Layout == ImageLayout.ChannelsLast || (Layout == ImageLayout.Auto && (BFloat16 || !training));

    /// <summary>
    /// <paramref name="images"/> [N, C, H, W] in this precision and in the layout for a module that is
    /// <paramref name="training"/> or not (the same tensor when it already is).
    /// </summary>
    public Tensor Input(Tensor images, bool training)
    {
        var x = BFloat16 && images.dtype != ScalarType.BFloat16 ? images.to(ScalarType.BFloat16) : images;
        if (!ChannelsLastWhen(training) || IsChannelsLast(x)) return x;
        var nhwc = ToChannelsLast(x);
        if (!ReferenceEquals(x, images)) x.Dispose();
        return nhwc;
    }

    /// <summary>
    /// <paramref name="conv"/> on <paramref name="x"/>. With <see cref="BFloat16"/> the convolution runs in
    /// bfloat16 on a bfloat16 map (a float32 one is cast first) with the weights cast for the call, so
    /// gradients reach the float32 weights through the cast; BatchNorm then takes the bfloat16 map with
    /// its float32 parameters and statistics (libtorch's mixed-type kernel), as under PyTorch's CPU autocast.
    /// </summary>
    public Tensor Conv(Conv2d conv, Tensor x)
    {
        if (!BFloat16) return conv.call(x);
        using var input = x.dtype == ScalarType.BFloat16 ? x.alias() : x.to(ScalarType.BFloat16);
        using var weight = conv.weight!.to(ScalarType.BFloat16);
        using var bias = conv.bias?.to(ScalarType.BFloat16);
        return functional.conv2d(input, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    /// <summary>The same [N, C, H, W] values with NHWC strides; <paramref name="x"/> itself when it has them or is not 4-d.</summary>
    public static Tensor ToChannelsLast(Tensor x)
    {
        if (x.dim() != 4 || IsChannelsLast(x)) return x;
        using var nhwc = x.permute(0, 2, 3, 1).contiguous();
        return nhwc.permute(0, 3, 1, 2);
    }

    /// <summary>Whether <paramref name="x"/> [N, C, H, W] is laid out channels-last (dense NHWC strides).</summary>
    public static bool IsChannelsLast(Tensor x)
    {
        if (x.dim() != 4) return false;
        var s = x.stride();
        long c = x.shape[1], h = x.shape[2], w = x.shape[3];
        return s[1] == 1 && s[3] == c && s[2] == c * w && (x.shape[0] == 1 || s[0] == c * h * w);
    }
}
