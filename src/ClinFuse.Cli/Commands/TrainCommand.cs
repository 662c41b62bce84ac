using System.CommandLine;
using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Peers;
using ClinFuse.Models.Training;
using ClinFuse.Training;
using ClinFuse.Training.Recipes;

namespace ClinFuse.Cli.Commands;

/// <summary><c>clinfuse train</c>: fine-tune a fusion model from pre-trained encoders.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Prepared store written by `clinfuse prepare`.", Required = true };
        var model = CommonOptions.Choice<ModelKind?>("--model",
            "Model: attention (default), medfuse, early, ehr-only, cxr-only, a paper baseline: contrastive-vit (ViT + LSTM, contrastive pre-training) or card (diffusion classifier), " +
            "or one of MedFuse's other baselines: mmtm, daft, tokens (learnable missing-modality tokens), late (per-class weighted average of the unimodal predictions); or drfuse (DrFuse: shared and distinct representations, disease-wise attention).",
            [("attention", ModelKind.Attention), ("medfuse", ModelKind.MedFuseLstm), ("early", ModelKind.Early), ("ehr-only", ModelKind.UniEhr), ("cxr-only", ModelKind.UniCxr),
             ("contrastive-vit", ModelKind.ContrastiveVit), ("card", ModelKind.Card), ("mmtm", ModelKind.Mmtm), ("daft", ModelKind.Daft), ("tokens", ModelKind.Tokens),
             ("late", ModelKind.Late), ("drfuse", ModelKind.DrFuse)], null);
        var layerAfter = new Option<int?>("--layer-after") { Description = "MMTM/DAFT: the ResNet stage after which the block runs: 0 (stem) to 4, or -1 for every stage. Default 4 (DAFT on phenotyping: 3)." };
        layerAfter.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is int v && v is < -1 or > 4)
                result.AddError($"--layer-after must be -1 (every stage) or a stage from 0 to 4, got {v}.");
        });
        var tokenHead = CommonOptions.Choice<TokenHead?>("--token-head", "Tokens: joint (default; EHR feature + projected CXR or the learnable missing token) or lstm (the [EHR, SEP, CXR, CLS] token sequence through the fusion LSTM).",
            [("joint", TokenHead.Joint), ("lstm", TokenHead.LstmWithTokens)], null);
        var baselineSize = CommonOptions.Choice<BaselineSize?>("--baseline-size", "Baseline network sizes: cpu (default: small ViT; CARD with 100 steps, 10 samples) or paper (ViT-B/16; CARD with 1000 steps, 100 samples).",
            [("cpu", BaselineSize.Cpu), ("paper", BaselineSize.Paper)], null);
        var pretrainEpochs = new Option<int?>("--pretrain-epochs") { Description = "Epochs of a baseline's first phase (contrastive pre-training; CARD's prior). Default 10." };
        var ehr = new Option<DirectoryInfo?>("--ehr-encoder") { Description = "Run folder of a pre-trained EHR encoder (its best.safetensors is loaded)." };
        var cxr = new Option<DirectoryInfo?>("--cxr-encoder") { Description = "Run folder of a pre-trained CXR encoder (its best.safetensors is loaded)." };
        var frozen = new Option<int?>("--frozen-encoder-epochs")
        {
            Description = "Fusion heads: train only the fusion layers for the first N epochs, with the pre-trained encoders frozen, then fine-tune end to end (linear probing then fine-tuning). Default 0: end to end from the first step, as the reference.",
        };
        var residual = new Option<bool>("--series-residual")
        {
            Description = "Fusion heads: predict the fusion head's logits plus the pre-trained EHR encoder's own head's, the fusion head starting at zero, so fine-tuning starts from the series model's predictions and learns what the image adds. Default false (the paper's head).",
        };
        var loss = CommonOptions.Choice<LossKind?>("--loss", "Loss: bce or uncertainty (per-label learned weights; the recipes' default).",
            [("bce", LossKind.Bce), ("uncertainty", LossKind.Uncertainty)], null);
        var run = new RunOptions();
        var command = new Command("train", "Fine-tune a fusion model (attention, MedFuse LSTM, early), a unimodal model, or train a paper baseline (Contrastive + ViT, CARD) or a peer model (MedFuse's MMTM, DAFT, tokens, late fusion; DrFuse).")
        {
            data, model, ehr, cxr, frozen, residual, loss, baselineSize, pretrainEpochs, layerAfter, tokenHead,
        };
        run.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var overrides = new TrainingOverrides
            {
                Loss = r.GetValue(loss),
                BaselineSize = r.GetValue(baselineSize),
                PretrainEpochs = r.GetValue(pretrainEpochs),
                LayerAfter = r.GetValue(layerAfter),
                TokenHead = r.GetValue(tokenHead),
                FrozenEncoderEpochs = r.GetValue(frozen),
                SeriesResidual = r.GetValue(residual) ? true : null,
            };
            var request = run.Request(r, r.GetValue(data)!.FullName, overrides) with
            {
                EhrEncoderRun = r.GetValue(ehr)?.FullName,
                CxrEncoderRun = r.GetValue(cxr)?.FullName,
            };
            var fusion = r.GetValue(model);
            await Task.Run(() => TrainingRun.Train(request, fusion, CommonOptions.Progress(r), cancellationToken: ct), ct);
            await r.InvocationConfiguration.Output.WriteLineAsync($"Run folder: {Path.GetFullPath(request.Out)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
