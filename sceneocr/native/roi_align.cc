// ROIAlign for MindSpore's CPU "aot" Custom op: the forward of ops.ROIAlign(roi_end_mode=0) (Mask R-CNN /
// Caffe2 sampling, continuous coordinates) and its exact gradient.
//
// Why: MindSpore's CPU ROIAlign runs on one thread, channel by channel through every sample (2.7 s for
// 1,000 ROIs on a 512 x 72 x 120 map), and its CPU ROIAlignGrad disagrees with finite differences of its own
// forward. Here each ROI's bilinear taps are computed once and reused for every channel plane, and the work
// is split over the CPU's threads (forward: by ROI; backward: by channel, so writes never overlap).
// Built by src/native/__init__.py with g++ on first use; wrapped by src/native/layers.py.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

struct Tap {
  int64_t offset;  // pixel index within an H x W plane
  float weight;    // bilinear weight / samples per bin
};

struct Config {
  float scale;
  int pooled_h, pooled_w, sampling;
};

Config read_config(const float *c) {
  return {c[0], static_cast<int>(c[1]), static_cast<int>(c[2]), static_cast<int>(c[3])};
}

// The taps of every bin of one ROI, bin after bin: up to samples x 4 (offset, weight) pairs per bin,
// ``counts[bin]`` of them. Samples outside [-1, size] contribute nothing but still count in the average.
void roi_taps(const float *roi, const Config &cfg, int64_t height, int64_t width, std::vector<Tap> *taps,
              std::vector<int> *counts) {
  const float x1 = roi[1] * cfg.scale, y1 = roi[2] * cfg.scale;
  const float x2 = roi[3] * cfg.scale, y2 = roi[4] * cfg.scale;
  const float roi_w = std::max(x2 - x1, 1.0f), roi_h = std::max(y2 - y1, 1.0f);
  const float bin_h = roi_h / cfg.pooled_h, bin_w = roi_w / cfg.pooled_w;
  const int grid_h = cfg.sampling > 0 ? cfg.sampling : static_cast<int>(std::ceil(roi_h / cfg.pooled_h));
  const int grid_w = cfg.sampling > 0 ? cfg.sampling : static_cast<int>(std::ceil(roi_w / cfg.pooled_w));
  const float inv_count = 1.0f / std::max(grid_h * grid_w, 1);
  taps->clear();
  counts->assign(cfg.pooled_h * cfg.pooled_w, 0);
  for (int ph = 0; ph < cfg.pooled_h; ++ph) {
    for (int pw = 0; pw < cfg.pooled_w; ++pw) {
      int &count = (*counts)[ph * cfg.pooled_w + pw];
      for (int iy = 0; iy < grid_h; ++iy) {
        float y = y1 + ph * bin_h + (iy + 0.5f) * bin_h / grid_h;
        for (int ix = 0; ix < grid_w; ++ix) {
          float x = x1 + pw * bin_w + (ix + 0.5f) * bin_w / grid_w;
          if (y < -1.0f || y > height || x < -1.0f || x > width) continue;
          float yy = std::max(y, 0.0f), xx = std::max(x, 0.0f);
          int64_t y_low = static_cast<int64_t>(yy), x_low = static_cast<int64_t>(xx), y_high, x_high;
          if (y_low >= height - 1) { y_high = y_low = height - 1; yy = static_cast<float>(y_low); } else { y_high = y_low + 1; }
          if (x_low >= width - 1) { x_high = x_low = width - 1; xx = static_cast<float>(x_low); } else { x_high = x_low + 1; }
          const float ly = yy - y_low, lx = xx - x_low, hy = 1.0f - ly, hx = 1.0f - lx;
          taps->push_back({y_low * width + x_low, hy * hx * inv_count});
          taps->push_back({y_low * width + x_high, hy * lx * inv_count});
          taps->push_back({y_high * width + x_low, ly * hx * inv_count});
          taps->push_back({y_high * width + x_high, ly * lx * inv_count});
          count += 4;
        }
      }
    }
  }
}

template <typename Fn>
void parallel_for(int64_t n, Fn fn) {
  const int64_t threads = std::max<int64_t>(1, std::min<int64_t>(n, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads; ++t) pool.emplace_back(fn, n * t / threads, n * (t + 1) / threads);
  fn(0, n / threads);
  for (auto &th : pool) th.join();
}

}  // namespace

// inputs: features (N, C, H, W), rois (R, 5), config [scale, pooled_h, pooled_w, sampling]; output (R, C, PH, PW)
extern "C" int RoiAlignForward(int nparam, void **params, int *ndims, int64_t **shapes, const char **dtypes,
                               void *stream, void *extra) {
  if (nparam != 4) return 1;
  const float *features = static_cast<const float *>(params[0]);
  const float *rois = static_cast<const float *>(params[1]);
  const Config cfg = read_config(static_cast<const float *>(params[2]));
  float *out = static_cast<float *>(params[3]);
  const int64_t batch = shapes[0][0], channels = shapes[0][1], height = shapes[0][2], width = shapes[0][3];
  const int64_t num_rois = shapes[1][0], bins = cfg.pooled_h * cfg.pooled_w;
  parallel_for(num_rois, [&](int64_t begin, int64_t end) {
    std::vector<Tap> taps;
    std::vector<int> counts;
    for (int64_t r = begin; r < end; ++r) {
      const float *roi = rois + r * 5;
      const int64_t n = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(roi[0]), 0), batch - 1);
      roi_taps(roi, cfg, height, width, &taps, &counts);
      for (int64_t c = 0; c < channels; ++c) {
        const float *plane = features + (n * channels + c) * height * width;
        float *dst = out + (r * channels + c) * bins;
        const Tap *tap = taps.data();
        for (int64_t b = 0; b < bins; ++b) {
          float acc = 0.0f;
          for (int k = 0; k < counts[b]; ++k, ++tap) acc += tap->weight * plane[tap->offset];
          dst[b] = acc;
        }
      }
    }
  });
  return 0;
}

// inputs: grad_out (R, C, PH, PW), rois (R, 5), features (N, C, H, W; only its shape is read), config;
// output: grad_features (N, C, H, W). Threads split the channels, so their writes never overlap.
extern "C" int RoiAlignBackward(int nparam, void **params, int *ndims, int64_t **shapes, const char **dtypes,
                                void *stream, void *extra) {
  if (nparam != 5) return 1;
  const float *grad_out = static_cast<const float *>(params[0]);
  const float *rois = static_cast<const float *>(params[1]);
  const Config cfg = read_config(static_cast<const float *>(params[3]));
  float *grad = static_cast<float *>(params[4]);
  const int64_t batch = shapes[2][0], channels = shapes[2][1], height = shapes[2][2], width = shapes[2][3];
  const int64_t num_rois = shapes[1][0], bins = cfg.pooled_h * cfg.pooled_w;
  std::memset(grad, 0, sizeof(float) * batch * channels * height * width);
  // Taps are computed once for all ROIs, then each thread scatters its channel range.
  std::vector<std::vector<Tap>> all_taps(num_rois);
  std::vector<std::vector<int>> all_counts(num_rois);
  for (int64_t r = 0; r < num_rois; ++r) roi_taps(rois + r * 5, cfg, height, width, &all_taps[r], &all_counts[r]);
  parallel_for(channels, [&](int64_t c_begin, int64_t c_end) {
    for (int64_t r = 0; r < num_rois; ++r) {
      const float *roi = rois + r * 5;
      const int64_t n = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(roi[0]), 0), batch - 1);
      for (int64_t c = c_begin; c < c_end; ++c) {
        float *plane = grad + (n * channels + c) * height * width;
        const float *src = grad_out + (r * channels + c) * bins;
        const Tap *tap = all_taps[r].data();
        for (int64_t b = 0; b < bins; ++b) {
          const float g = src[b];
          for (int k = 0; k < all_counts[r][b]; ++k, ++tap) plane[tap->offset] += tap->weight * g;
        }
      }
    }
  });
  return 0;
}
