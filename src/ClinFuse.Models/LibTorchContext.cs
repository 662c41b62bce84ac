using System.Runtime.InteropServices;

namespace ClinFuse.Models;

/// <summary>
/// The switches of libtorch's global <c>at::Context</c> that TorchSharp does not expose (PyTorch's
/// <c>torch.backends.mkldnn.enabled</c> and <c>torch.backends.nnpack.enabled</c>), called through
/// their exported C++ symbols in <c>libtorch_cpu.so</c>.
/// </summary>
internal static class LibTorchContext
{
    /// <summary>Whether ATen may choose oneDNN (MKL-DNN) convolutions.</summary>
    internal static bool MkldnnEnabled
    {
        get => UserEnabledMkldnn(GlobalContext());
        set => SetUserEnabledMkldnn(GlobalContext(), value);
    }

    /// <summary>Whether ATen may choose NNPACK convolutions.</summary>
    internal static bool NnpackEnabled
    {
        get => UserEnabledNnpack(GlobalContext());
        set => SetUserEnabledNnpack(GlobalContext(), value);
    }

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    static extern nint GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    static extern bool UserEnabledMkldnn(nint context);

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    static extern void SetUserEnabledMkldnn(nint context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    static extern bool UserEnabledNnpack(nint context);

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNnpack(nint context, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
