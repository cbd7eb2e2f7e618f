// The dense networks pancan trains: layers as free functions over explicit shapes, and
// the whole network (Dense -> ReLU -> Dropout ... -> Dense -> softmax) over ONE contiguous
// parameter buffer and ONE gradient buffer of the same layout, so a single collective
// moves every gradient. Numerical kernels only: nothing here knows about MPI or files.
//
// Shape legend (every matrix is row-major, one sample per row):
//   B  rows in the batch (on a rank: its part of the global batch)
//   I  inputs of a Dense layer        O  outputs of a Dense layer
//   C  classes (outputs of the last Dense layer)
//   n  elements of an elementwise layer (B * O)
//
// Gradients are SUMS over the batch rows (not means): data-parallel training adds the
// sums of every rank and divides once by the global batch size.
//
// Every template is instantiated for float (training) and double (gradient checks).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pancan::nn {

// --- layers -----------------------------------------------------------------------------

// out (B x O) = in (B x I) * weight (I x O) + bias (O). weight is stored as Keras stores a
// Dense kernel: (inputs, outputs), row-major.
template <class T>
void dense_forward(T* out, const T* in, const T* weight, const T* bias, std::int64_t B,
                   std::int64_t I, std::int64_t O);

// Given d_out (B x O): d_weight (I x O) = in^T d_out, d_bias (O) = column sums of d_out,
// d_in (B x I) = d_out weight^T. d_weight and d_bias are overwritten (B = 0 gives zeros);
// d_in may be null (the first layer needs no gradient with respect to the data).
template <class T>
void dense_backward(T* d_in, T* d_weight, T* d_bias, const T* d_out, const T* in, const T* weight,
                    std::int64_t B, std::int64_t I, std::int64_t O);

// The first Dense layer in training, over the rows where they already are (pointers into
// a shard or MPI shared memory: no copy of the batch): out (B x O) = rows * weight + bias,
// rows[b] pointing at I inputs. The inputs fall in kInputGroups fixed groups of consecutive
// inputs; each output is the bias plus each group's sum added in group order, a group's sum
// being its terms rows[b][i] weight[i][o] added from zero in order of i. That order does
// not depend on B, so a row's result does not depend on its batch-mates or on how a batch
// is split over ranks; and ranks that each update whole groups of kernel rows can each sum
// their groups for the next batch while those rows are in cache (dense_forward_rows_sum),
// then add the groups' sums (dense_forward_rows_finish) for the same bits as here. With
// AVX-512 (float) a register-tiled kernel reads each block of the weight once per call.
constexpr std::int64_t kInputGroups = 12;  // divisible by 1, 2, 3 and 4 ranks
// The first input of group g of I inputs (g = kInputGroups: I).
std::int64_t input_group_begin(std::int64_t I, std::int64_t g);
template <class T>
void dense_forward_rows(T* out, const T* const* rows, const T* weight, const T* bias,
                        std::int64_t B, std::int64_t I, std::int64_t O);
// sums (B x O) = (start ? 0 : sums) + sum_{i in [first, last)} rows[b][i] weight[i][o], in
// order of i (weight is the whole kernel, row i at weight + i * O).
template <class T>
void dense_forward_rows_sum(T* sums, const T* const* rows, const T* weight, std::int64_t B,
                            std::int64_t O, std::int64_t first, std::int64_t last, bool start);
// out (B x O) = bias + group_sums[0] + ... + group_sums[kInputGroups - 1], each B x O.
template <class T>
void dense_forward_rows_finish(T* out, const T* bias, const T* const* group_sums, std::int64_t B,
                               std::int64_t O);
// Rows [first, last) of the weight gradient of that layer: d_weight ((last - first) x O),
// d_weight[i - first][o] = sum_b rows[b][i] * d_out[b][o], added in order of b (0..B-1).
// Computing a block of rows at a time lets the optimizer update them while they are in
// cache, and lets each rank compute only the rows it updates.
template <class T>
void dense_weight_gradient_rows(T* d_weight, const T* const* rows, const T* const* d_out,
                                std::int64_t B, std::int64_t O, std::int64_t first,
                                std::int64_t last);

// out = max(in, 0). out may alias in.
template <class T>
void relu_forward(T* out, const T* in, std::int64_t n);
// d_in = d_out where the forward output was positive, else 0. d_in may alias d_out.
template <class T>
void relu_backward(T* d_in, const T* d_out, const T* out, std::int64_t n);

// What a dropout mask is keyed by, so a mask depends only on (seed, epoch, global sample
// index, layer) and never on how the batch was split over ranks.
struct DropoutKey {
  std::uint64_t seed = 0;
  std::int64_t epoch = 0;
  std::int64_t layer = 0;  // index of the Dropout layer in the network (0, 1, ...)
};

// Inverted dropout: mask (B x O) holds 0 (dropped, probability `rate`) or 1 / (1 - rate)
// (kept), so the expected activation is unchanged in training and inference is the
// identity. Row b's mask is drawn from CounterRng(seed, {dropout, epoch, sample_ids[b],
// layer}).
template <class T>
void dropout_mask(T* mask, const std::int64_t* sample_ids, std::int64_t B, std::int64_t O,
                  double rate, const DropoutKey& key);
// out = in * mask (elementwise; out may alias in).
template <class T>
void dropout_forward(T* out, const T* in, const T* mask, std::int64_t n);
// d_in = d_out * mask (d_in may alias d_out).
template <class T>
void dropout_backward(T* d_in, const T* d_out, const T* mask, std::int64_t n);

// probs (B x C) = softmax(logits) row by row, computed after subtracting the row maximum;
// returns the summed categorical cross-entropy -sum_b log softmax(logits_b)[labels_b],
// computed as logsumexp - logit (finite for logits of any magnitude, even when a
// probability underflows to 0). `correct`, when given, receives the number of rows whose
// arg-max is the label (ties go to the lowest class, as numpy's argmax). With labels null
// only the probabilities are computed (inference) and the result is 0.
template <class T>
double softmax_cross_entropy(T* probs, const T* logits, const std::int32_t* labels, std::int64_t B,
                             std::int64_t C, std::int64_t* correct = nullptr);
// d_logits (B x C) = probs - one_hot(labels): the gradient of the summed loss.
template <class T>
void softmax_cross_entropy_backward(T* d_logits, const T* probs, const std::int32_t* labels,
                                    std::int64_t B, std::int64_t C);

// --- the network ------------------------------------------------------------------------

// Dense(hidden[0], relu) -> Dropout -> ... -> Dense(hidden[k], relu) -> Dropout ->
// Dense(classes, softmax). No Dropout layers when dropout == 0. hidden empty = softmax
// regression.
struct Architecture {
  std::int64_t inputs = 0;
  std::vector<std::int64_t> hidden;
  std::int64_t classes = 0;
  double dropout = 0.0;
};

// Throws UsageError unless the architecture can be built (positive sizes, >= 2 classes,
// 0 <= dropout < 1).
void validate(const Architecture& architecture);

// Where one Dense layer's kernel and bias live in the parameter (and gradient) buffer.
struct DenseSlice {
  std::int64_t inputs = 0;
  std::int64_t outputs = 0;
  std::int64_t weight = 0;  // offset of the (inputs x outputs) kernel
  std::int64_t bias = 0;    // offset of the (outputs) bias
};
// The buffer layout: [kernel 0, bias 0, kernel 1, bias 1, ...].
std::vector<DenseSlice> dense_layers(const Architecture& architecture);
std::int64_t parameter_count(const Architecture& architecture);

// Keras' layer names: "dense", "dense_1", ... and "dropout", "dropout_1", ...
std::string dense_name(std::size_t index);

// One row of the Keras-style summary.
struct SummaryRow {
  std::string name;        // "dense", "dropout", "dense_1", ...
  std::string type;        // "Dense", "Dropout"
  std::int64_t units = 0;  // output shape (None, units)
  std::int64_t parameters = 0;
  std::string count;  // for Dense: "4102 x 100 + 100 = 410,300"; else ""
};
std::vector<SummaryRow> summary_rows(const Architecture& architecture);
// The table (layer, type, output shape, parameters; total / trainable / non-trainable)
// followed by one `in x out + out = total` line per Dense layer.
std::string summary_table(const Architecture& architecture);
// 410805 -> "410,805".
std::string with_thousands(std::int64_t value);

// Glorot-uniform kernels (U(-l, l), l = sqrt(6 / (in + out)), drawn from
// CounterRng(seed, {init, layer})) and zero biases.
void glorot_uniform(const Architecture& architecture, std::span<float> parameters,
                    std::uint64_t seed);

// Activations of one batch, sized for up to `max_rows` rows (forward_backward's scratch).
template <class T>
struct Workspace {
  Workspace(const Architecture& architecture, std::int64_t max_rows);
  std::int64_t max_rows = 0;
  std::vector<std::vector<T>> outputs;     // per Dense layer: B x O (after ReLU if hidden)
  std::vector<std::vector<T>> dropped;     // per hidden layer (with dropout): B x O
  std::vector<std::vector<T>> masks;       // per hidden layer (with dropout): B x O
  std::vector<T> probs;                    // B x C
  std::vector<T> gradient_a, gradient_b;   // B x widest layer, used in turn
  std::vector<T> first_delta;              // storage of delta_rows (see below)
  std::vector<const T*> rows, delta_rows;  // row pointers (max_rows each)
};

// Rows that vector loads read whole are padded to a multiple of 16 elements and start on a
// 64-byte boundary (a cache line: an unaligned 64-byte load touches two): the first
// layer's output gradient (workspace.delta_rows, and its copy in MPI shared memory).
constexpr std::int64_t padded_row(std::int64_t n) { return (n + 15) / 16 * 16; }
template <class T>
T* cache_line_aligned(T* p) {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  return reinterpret_cast<T*>((address + 63) & ~std::uintptr_t{63});
}

// Sums over the rows of a batch.
struct BatchTotals {
  double loss = 0;           // summed cross-entropy
  std::int64_t correct = 0;  // rows whose arg-max is the label
  std::int64_t rows = 0;
};

// Forward pass, loss, and (when `gradients` is not null) the backward pass: `gradients`
// (parameter_count) is overwritten with the gradient of the SUMMED loss. x is B x inputs.
// With `dropout` null the network runs in inference mode (dropout is the identity);
// otherwise masks come from *dropout (layer filled in per Dropout layer) and sample_ids.
template <class T>
BatchTotals forward_backward(const Architecture& architecture, const T* parameters, T* gradients,
                             const T* x, const std::int32_t* labels, const std::int64_t* sample_ids,
                             std::int64_t B, const DropoutKey* dropout, Workspace<T>& workspace);

// The same over row pointers (x_rows[b] -> inputs values). With defer_first_kernel the
// first layer's kernel gradient is NOT computed (that part of `gradients` is left as it
// was): the gradient of the summed loss with respect to the first layer's output (before
// its ReLU) is left in workspace.delta_rows[b] (outputs of the first layer each) instead, for
// the caller to compute the kernel gradient with dense_weight_gradient_rows block by block.
// With first_layer_ready the caller has already put the first layer's output for these
// rows and these parameters (before its ReLU) in workspace.outputs[0].
template <class T>
BatchTotals forward_backward_rows(const Architecture& architecture, const T* parameters,
                                  T* gradients, const T* const* x_rows, const std::int32_t* labels,
                                  const std::int64_t* sample_ids, std::int64_t B,
                                  const DropoutKey* dropout, Workspace<T>& workspace,
                                  bool defer_first_kernel, bool first_layer_ready = false);

// Inference: probs (B x C) for x (B x inputs), B <= workspace.max_rows.
template <class T>
void predict(const Architecture& architecture, const T* parameters, const T* x, std::int64_t B,
             T* probs, Workspace<T>& workspace);

}  // namespace pancan::nn
