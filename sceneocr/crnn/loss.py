"""CTC loss with true label lengths (padding in the target matrix is never read)."""
import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops


class CTCLoss(nn.Cell):
    def __init__(self, blank=0, reduction="mean"):
        super().__init__()
        self.blank = blank
        self.reduction = reduction

    def construct(self, logits, targets, target_lengths):
        """logits (T, N, C); targets (N, S) int32; target_lengths (N,) int32.

        ``mean`` follows the usual convention: each sample's loss divided by its label length,
        then averaged over the batch."""
        t, n, _ = logits.shape
        log_probs = ops.log_softmax(logits, -1)
        input_lengths = ops.fill(ms.int32, (n,), t)
        loss, _ = ops.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                               reduction="none", zero_infinity=True)
        if self.reduction == "mean":
            return (loss / ops.maximum(target_lengths.astype(loss.dtype), 1.0)).mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss


class CRNNWithLoss(nn.Cell):
    def __init__(self, network, loss=None):
        super().__init__(auto_prefix=False)
        self.network = network
        self.loss = loss or CTCLoss()

    def construct(self, images, targets, target_lengths):
        return self.loss(self.network(images), targets, target_lengths)
