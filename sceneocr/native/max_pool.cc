// Gradient of non-overlapping max-pooling (kernel == stride, each at most 2; MindSpore's "same" padding,
// which for these sizes only pads at the bottom/right) for MindSpore's CPU "aot" Custom op.
//
// Why: MindSpore's CPU MaxPoolGrad takes ~120 ms for CRNN's first 2x2 pool at batch 64 (13 M inputs), a
// tenth of the convolutions' time; this takes a few ms. Each window's gradient goes to its first maximum
// in row-major order, as MaxPoolGrad sends it. Built by src/native/__init__.py with g++ on first use.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

// inputs: x (N, C, H, W), y = maxpool(x) (N, C, OH, OW), dy (N, C, OH, OW), config [kh, kw] (float32);
// output: dx (N, C, H, W). Threads split the N x C planes.
extern "C" int MaxPoolGrad(int nparam, void **params, int *ndims, int64_t **shapes, const char **dtypes,
                           void *stream, void *extra) {
  if (nparam != 5 || ndims[0] != 4) return 1;
  const float *x = static_cast<const float *>(params[0]);
  const float *y = static_cast<const float *>(params[1]);
  const float *dy = static_cast<const float *>(params[2]);
  const float *config = static_cast<const float *>(params[3]);
  float *dx = static_cast<float *>(params[4]);
  const int64_t planes = shapes[0][0] * shapes[0][1], height = shapes[0][2], width = shapes[0][3];
  const int64_t out_h = shapes[1][2], out_w = shapes[1][3];
  const int64_t kh = static_cast<int64_t>(config[0]), kw = static_cast<int64_t>(config[1]);
  auto work = [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const float *xp = x + p * height * width;
      float *dxp = dx + p * height * width;
      const float *yp = y + p * out_h * out_w, *dyp = dy + p * out_h * out_w;
      std::memset(dxp, 0, sizeof(float) * height * width);
      for (int64_t oh = 0; oh < out_h; ++oh) {
        const int64_t h0 = oh * kh, h1 = std::min(h0 + kh, height);
        for (int64_t ow = 0; ow < out_w; ++ow) {
          const int64_t w0 = ow * kw, w1 = std::min(w0 + kw, width);
          const float target = yp[oh * out_w + ow];
          bool done = false;
          for (int64_t h = h0; h < h1 && !done; ++h) {
            for (int64_t w = w0; w < w1; ++w) {
              if (xp[h * width + w] == target) {
                dxp[h * width + w] = dyp[oh * out_w + ow];
                done = true;
                break;
              }
            }
          }
        }
      }
    }
  };
  const int64_t threads = std::max<int64_t>(1, std::min<int64_t>(planes, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads; ++t) pool.emplace_back(work, planes * t / threads, planes * (t + 1) / threads);
  work(0, planes / threads);
  for (auto &th : pool) th.join();
  return 0;
}
