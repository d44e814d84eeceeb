"""Text-detection metrics on axis-aligned boxes, three protocols:

* ``standard``: one-to-one matching at IoU >= 0.5 in score order; predictions matching a do-not-care
  region are ignored; a second prediction on an already matched word is a false positive.
* ``deteval``: ICDAR 2013 DetEval (area recall 0.8, area precision 0.4) with one-to-one,
  one-to-many (split word: recall 0.8) and many-to-one (merged words: precision 0.8) matches.
* ``quad`` (images whose ground truth are quadrilaterals, ICDAR 2015), as ICDAR 2015's scorer judges
  axis-aligned predictions: IoU with the annotated quadrilateral above 0.5, one-to-one; a prediction more than
  half inside a do-not-care quadrilateral is removed before matching.
* ``seed``: the model zoo's printout (``class 1 precision is X%, recall is Y%``): the 32 best
  predictions per image, a prediction is correct when it overlaps any word at IoU >= 0.5 (duplicates
  all count), summed over images. Kept only to compare with the published 88.01 % / 82.77 %.
"""
import numpy as np

from sceneocr.geometry import (as_boxes, as_quads, box_area, pairwise_box_quad_intersection, pairwise_box_quad_iou,
                          pairwise_intersection, pairwise_iou)


def match_standard(pred, scores, gt, ignore, iou_threshold=0.5):
    """Returns (matches: list of (pred index, gt index), counted prediction indices, number of cared gts)."""
    pred, gt = as_boxes(pred), as_boxes(gt)
    ignore = np.asarray(ignore, bool).reshape(-1)
    iou = pairwise_iou(pred, gt) if len(pred) and len(gt) else np.zeros((len(pred), len(gt)))
    inside_ignored = pairwise_intersection(pred, gt[ignore]) if ignore.any() and len(pred) else None
    return match_one_to_one(pred, scores, iou, ignore, inside_ignored, iou_threshold)


def match_quads(pred, scores, gt_quads, ignore, iou_threshold=0.5):
    """Axis-aligned predictions against quadrilateral ground truth ((N, 8) or (N, 4, 2)) as ICDAR 2015's scorer
    judges them: a prediction more than half inside a do-not-care quadrilateral is removed before matching; a match
    needs IoU above ``iou_threshold``, one-to-one (here in score order, the best free word first). Returns what
    :func:`match_standard` returns."""
    pred, quads = as_boxes(pred), as_quads(gt_quads)
    ignore = np.asarray(ignore, bool).reshape(-1)
    iou = pairwise_box_quad_iou(pred, quads) if len(pred) and len(quads) else np.zeros((len(pred), len(quads)))
    dont_care = np.zeros(len(pred), bool)
    if ignore.any() and len(pred):
        inside = pairwise_box_quad_intersection(pred, quads[ignore])
        dont_care = ((inside / np.maximum(box_area(pred)[:, None], 1e-9)) > 0.5).any(axis=1)
    care = np.flatnonzero(~ignore)
    taken = np.zeros(len(quads), bool)
    matches, counted = [], []
    for p in np.argsort(-np.asarray(scores, np.float64).reshape(-1), kind="stable"):
        if dont_care[p]:
            continue
        counted.append(int(p))
        candidates = [(iou[p, g], g) for g in care if not taken[g] and iou[p, g] > iou_threshold]
        if candidates:
            _, g = max(candidates)
            taken[g] = True
            matches.append((int(p), int(g)))
    return matches, counted, len(care)


def match_one_to_one(pred, scores, iou, ignore, inside_ignored, iou_threshold):
    """One-to-one matching in score order given the (pred, gt) IoU and, where there are do-not-care regions, the
    (pred, region) intersection areas."""
    care = np.flatnonzero(~ignore)
    # A prediction mostly inside a do-not-care region is not judged at all.
    dont_care = np.zeros(len(pred), bool)
    if inside_ignored is not None:
        dont_care = ((inside_ignored / np.maximum(box_area(pred)[:, None], 1e-9)) > 0.5).any(axis=1)
        dont_care |= (iou[:, ignore] >= iou_threshold).any(axis=1)
    order = np.argsort(-np.asarray(scores, np.float64).reshape(-1), kind="stable")
    taken = np.zeros(iou.shape[1], bool)
    matches, counted = [], []
    for p in order:
        candidates = [(iou[p, g], g) for g in care if not taken[g] and iou[p, g] >= iou_threshold]
        if candidates:
            _, g = max(candidates)
            taken[g] = True
            matches.append((int(p), int(g)))
            counted.append(int(p))
        elif not dont_care[p]:
            counted.append(int(p))
    return matches, counted, len(care)


def deteval_image(pred, gt, ignore, area_recall=0.8, area_precision=0.4, split_penalty=0.8):
    """(recall credit, precision credit, cared gts, counted predictions) for one image."""
    pred, gt = as_boxes(pred), as_boxes(gt)
    ignore = np.asarray(ignore, bool).reshape(-1)
    care_gt = np.flatnonzero(~ignore)
    keep = np.ones(len(pred), bool)
    if ignore.any() and len(pred):
        inter = pairwise_intersection(pred, gt[ignore])
        keep = ~((inter / np.maximum(box_area(pred)[:, None], 1e-9)) > area_precision).any(axis=1)
    pred, gt = pred[keep], gt[care_gt]
    n_gt, n_pred = len(gt), len(pred)
    if n_gt == 0 or n_pred == 0:
        return 0.0, 0.0, n_gt, n_pred
    inter = pairwise_intersection(gt, pred)
    recall_mat = inter / np.maximum(box_area(gt)[:, None], 1e-9)
    precision_mat = inter / np.maximum(box_area(pred)[None], 1e-9)
    good = (recall_mat >= area_recall) & (precision_mat >= area_precision)
    gt_done, pred_done = np.zeros(n_gt, bool), np.zeros(n_pred, bool)
    recall_credit = precision_credit = 0.0
    # One-to-one: each side has exactly one good partner, and the centres are close.
    for g in range(n_gt):
        for d in range(n_pred):
            if gt_done[g] or pred_done[d] or not good[g, d]:
                continue
            if good[g].sum() == 1 and good[:, d].sum() == 1:
                cg = (gt[g, :2] + gt[g, 2:]) / 2
                cd = (pred[d, :2] + pred[d, 2:]) / 2
                norm = ((gt[g, 2] - gt[g, 0]) + (gt[g, 3] - gt[g, 1]) + (pred[d, 2] - pred[d, 0])
                        + (pred[d, 3] - pred[d, 1])) / 4
                if np.linalg.norm(cg - cd) / max(norm, 1e-9) < 1.0:
                    gt_done[g] = pred_done[d] = True
                    recall_credit += 1.0
                    precision_credit += 1.0
    # One-to-many: a word split into several predictions, each mostly inside it.
    for g in range(n_gt):
        if gt_done[g]:
            continue
        parts = [d for d in range(n_pred) if not pred_done[d] and precision_mat[g, d] >= area_precision]
        if len(parts) >= 2 and recall_mat[g, parts].sum() >= area_recall:
            gt_done[g] = True
            pred_done[parts] = True
            recall_credit += split_penalty
            precision_credit += len(parts)
    # Many-to-one: several words covered by one prediction.
    for d in range(n_pred):
        if pred_done[d]:
            continue
        words = [g for g in range(n_gt) if not gt_done[g] and recall_mat[g, d] >= area_recall]
        if len(words) >= 2 and precision_mat[words, d].sum() >= area_precision:
            pred_done[d] = True
            gt_done[words] = True
            recall_credit += len(words)
            precision_credit += split_penalty
    return recall_credit, precision_credit, n_gt, n_pred


def seed_image(pred, scores, gt, ignore, max_predictions=32, iou_threshold=0.5):
    """(correct predictions, predictions, ground-truth words) as the model zoo counts them."""
    pred, gt = as_boxes(pred), as_boxes(gt)
    order = np.argsort(-np.asarray(scores, np.float64).reshape(-1), kind="stable")[:max_predictions]
    pred = pred[order]
    care = gt[~np.asarray(ignore, bool).reshape(-1)]
    if len(pred) == 0 or len(care) == 0:
        return 0, len(pred), len(care)
    correct = int((pairwise_iou(pred, care) >= iou_threshold).any(axis=1).sum())
    return correct, len(pred), len(care)


def f_score(precision, recall):
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


class DetectionMetrics:
    """Accumulates all three protocols over images."""

    def __init__(self, iou_threshold=0.5):
        self.iou_threshold = iou_threshold
        self.std = np.zeros(3)      # matches, counted predictions, cared gts
        self.det = np.zeros(4)      # recall credit, precision credit, gts, predictions
        self.seed = np.zeros(3)     # correct, predictions, gts
        self.quad = np.zeros(3)     # as std, over the images scored against quadrilaterals
        self.quad_images = 0
        self.images = 0

    def update(self, pred, scores, gt, ignore, gt_quads=None):
        """``gt_quads``: the words' quadrilaterals where the dataset has them (also scored as ``quad``)."""
        matches, counted, n_gt = match_standard(pred, scores, gt, ignore, self.iou_threshold)
        self.std += (len(matches), len(counted), n_gt)
        if gt_quads is not None:
            quad_matches, quad_counted, _ = match_quads(pred, scores, gt_quads, ignore, self.iou_threshold)
            self.quad += (len(quad_matches), len(quad_counted), n_gt)
            self.quad_images += 1
        self.det += deteval_image(pred, gt, ignore)
        self.seed += seed_image(pred, scores, gt, ignore, iou_threshold=self.iou_threshold)
        self.images += 1
        return matches

    def merge(self, other):
        """Adds another accumulator's counts: one result over several datasets (pooled, not averaged)."""
        self.std += other.std
        self.det += other.det
        self.seed += other.seed
        self.quad += other.quad
        self.quad_images += other.quad_images
        self.images += other.images

    def result(self):
        def prf(tp_p, tp_r, n_pred, n_gt):
            p = tp_p / n_pred if n_pred else 0.0
            r = tp_r / n_gt if n_gt else 0.0
            return {"precision": p, "recall": r, "f": f_score(p, r)}

        result = {"images": self.images,
                  "standard": prf(self.std[0], self.std[0], self.std[1], self.std[2]),
                  "deteval": prf(self.det[1], self.det[0], self.det[3], self.det[2]),
                  "seed": prf(self.seed[0], self.seed[0], self.seed[1], self.seed[2])}
        if self.quad_images:
            result["quad"] = {**prf(self.quad[0], self.quad[0], self.quad[1], self.quad[2]), "images": self.quad_images}
        return result
