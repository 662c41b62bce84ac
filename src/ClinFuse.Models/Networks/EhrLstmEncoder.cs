using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.utils.rnn;

namespace ClinFuse.Models.Networks;

/// <summary>What the EHR encoder computed; the layer-0 pieces are kept for inspection and parity tests.</summary>
/// <param name="Feature">[B, H] last layer's hidden state at each sample's true last step, after dropout.</param>
/// <param name="Layer0Output">[B, T, H] first layer's output, zero after each length.</param>
/// <param name="Layer0Hidden">[B, H] first layer's final hidden state.</param>
/// <param name="Layer0Cell">[B, H] first layer's final cell state.</param>
/// <param name="LastCell">[B, H] last layer's final cell state.</param>
public sealed record EhrEncoding(Tensor Feature, Tensor Layer0Output, Tensor Layer0Hidden, Tensor Layer0Cell, Tensor LastCell);

/// <summary>
/// The reference EHR encoder (<c>ehr_model</c>): separate single-layer LSTMs <c>layer0</c>, <c>layer1</c>, …
/// chained on the packed sequence (padding never enters), the final hidden state of the last one as
/// feature, dropout on that feature, and <c>dense_layer</c> as the uni-EHR head.
/// </summary>
public sealed class EhrLstmEncoder : Module
{
    readonly LSTM[] layers;
    readonly Dropout dropout;

    /// <summary>The uni-EHR head (Linear hidden → classes).</summary>
    public Linear DenseLayer => dense_layer;
    readonly Linear dense_layer;

    /// <summary>Builds the encoder with PyTorch-compatible names (<c>layer{i}.weight_ih_l0</c>, <c>dense_layer.weight</c>).</summary>
    public EhrLstmEncoder(int inputDim, int hidden, int layerCount, double dropoutRate, int numClasses) : base(nameof(EhrLstmEncoder))
    {
        layers = new LSTM[layerCount];
        for (int i = 0; i < layerCount; i++)
        {
            layers[i] = LSTM(i == 0 ? inputDim : hidden, hidden, numLayers: 1, batchFirst: true);
            register_module($"layer{i}", layers[i]);
        }
        dropout = Dropout(dropoutRate);
        register_module(nameof(dropout), dropout);
        dense_layer = Linear(hidden, numClasses);
        register_module(nameof(dense_layer), dense_layer);
    }

    /// <summary>Stacked single-layer LSTMs.</summary>
    public int LayerCount => layers.Length;

    /// <summary>The single-layer LSTM <c>layer{index}</c>.</summary>
    public LSTM Layer(int index) => layers[index];

    /// <summary>The dropout applied to the feature.</summary>
    public Dropout FeatureDropout => dropout;

    /// <summary>The dropped-out feature [B, H] (what fusion receives).</summary>
    public Tensor Encode(Tensor ehr, Tensor lengths) => Run(ehr, lengths, keepLayer0Output: false).Feature;

    /// <summary>Runs the stacked LSTMs on the packed batch; <paramref name="keepLayer0Output"/> also unpacks layer 0's output.</summary>
    public EhrEncoding Run(Tensor ehr, Tensor lengths, bool keepLayer0Output)
    {
        var packed = pack_padded_sequence(ehr, lengths, batch_first: true, enforce_sorted: false);
        Tensor layer0Output = empty(0), layer0Hidden = empty(0), layer0Cell = empty(0), hidden = empty(0), cell = empty(0);
        for (int i = 0; i < layers.Length; i++)
        {
            var (output, h, c) = layers[i].call(packed);
            if (i == 0)
            {
                layer0Hidden = h.squeeze(0);
                layer0Cell = c.squeeze(0);
                if (keepLayer0Output) layer0Output = pad_packed_sequence(output, batch_first: true, total_length: ehr.shape[1]).Item1;
            }
            packed = output;
            hidden = h;
            cell = c;
        }
        // squeeze(0), not squeeze(): a batch of one keeps its batch dimension (the reference's squeeze() drops it).
        return new EhrEncoding(dropout.call(hidden.squeeze(0)), layer0Output, layer0Hidden, layer0Cell, cell.squeeze(0));
    }
}
