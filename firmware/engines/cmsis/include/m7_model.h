/**
 * @file m7_model.h
 * @brief Descriptor types of an exported m7amp model (`m7amp export` writes `<name>_f32.c/.h` and
 *        `<name>_q15.c/.h` that define one `const m7_model_t` with these types). Types only: no code.
 *
 * A model is a list of ops run in order for every sample. Ops read and write per-sample vectors
 * ("buffers", `m7_buf_t`); persistent state (dilated-conv history, RNN state) belongs to the engine,
 * sized by the generated `<NAME>_STATE_LEN` macro. The full semantics, with formulas, are in
 * docs/model-package.md; the numpy oracle is m7amp/export/_reference.py.
 *
 * Layouts (row-major, stated once):
 *  - 1x1 weights `w[out][in]`;
 *  - dilated conv weights `w[out][kernel][in]`; tap `j` multiplies the input `(kernel-1-j)*dilation`
 *    samples in the past (tap `kernel-1` is the current sample);
 *  - RNN `w[G*H][in]`, `w_h[G*H][H]`, gates stacked in Keras order (LSTM i,f,g,o; GRU z,r,n).
 *
 * q15 numbers: a value is `int * 2^-frac` (`frac` may be any integer, also > 15 or < 0). Weights are
 * int16, biases int32. Every sum is exact in a 64-bit accumulator whose format is `acc_frac`: a term of
 * format `t` enters as `term << (acc_frac - t)` (always a left shift, `acc_frac >= t`). Storing an
 * accumulator to format `f` is a round-half-up right shift by `acc_frac - f`, then saturation (int16 for
 * x, skip, h and the output; int32 for head and out). Activations (tanh, sigmoid) take the exact value
 * `acc * 2^-acc_frac` and store round(v * 32768) saturated to int16 (Q15); an engine that approximates
 * them states its error bound.
 */
#ifndef M7_MODEL_H
#define M7_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped when the layout of these structs or the meaning of a field changes. */
#define M7_MODEL_FORMAT_VERSION 1u

/** Alignment of the generated weight arrays (8 bytes: LDRD/VLDM and SIMD-friendly). */
#if defined(__GNUC__)
#define M7_MODEL_ALIGN __attribute__((aligned(8)))
#else
#define M7_MODEL_ALIGN
#endif

/** Op kinds (stored in `m7_op_geom_t.kind`). Formulas: docs/model-package.md. */
typedef enum {
    M7_OP_CONV1X1 = 1,     /**< dst[:out] = w * src[:in] (+ b) */
    M7_OP_NAM_LAYER = 2,   /**< z = tanh(conv_d(x) + b + mix_w * input); head += z; x += res_w z + res_b */
    M7_OP_GATED_LAYER = 3, /**< a = conv_d(x) + b (+ mix_w * knobs); z = tanh(a[:C]) sigm(a[C:]);
                                skip[skip_offset:] = z; x += res_w z + res_b */
    M7_OP_LSTM = 4,        /**< Keras LSTM cell, h and c kept in state */
    M7_OP_GRU = 5,         /**< Keras GRU cell (reset_after), h kept in state */
    M7_OP_OUTPUT = 6,      /**< y = scale * out[0] (+ audio if input_skip) */
} m7_op_kind_t;

/** Per-sample buffers an op reads or writes (stored in `src`, `dst`, `cond`). */
typedef enum {
    M7_BUF_NONE = 0,
    M7_BUF_INPUT = 1, /**< the model input: audio, then knobs (n_inputs values) */
    M7_BUF_AUDIO = 2, /**< input[0] */
    M7_BUF_KNOBS = 3, /**< input[1..n_inputs-1] */
    M7_BUF_X = 4,     /**< residual stream (x_len values) */
    M7_BUF_HEAD = 5,  /**< NAM head accumulator (head_len), zeroed at the start of every sample */
    M7_BUF_SKIP = 6,  /**< gated WaveNet concatenated gate outputs (skip_len) */
    M7_BUF_H = 7,     /**< RNN hidden output (h_len) */
    M7_BUF_OUT = 8,   /**< the value before the output op (1) */
} m7_buf_t;

/** Activation of an op (stored in `act`). */
typedef enum {
    M7_ACT_NONE = 0,
    M7_ACT_TANH = 1,  /**< NAM layer */
    M7_ACT_GATED = 2, /**< tanh(a[:C]) * sigmoid(a[C:]) */
    M7_ACT_RNN = 3,   /**< the cell's own sigmoid/tanh gates */
} m7_act_t;

/** Numeric format of a model (stored in `m7_model_t.precision`). */
typedef enum {
    M7_PRECISION_F32 = 1,
    M7_PRECISION_Q15 = 2,
} m7_precision_t;

/** Shape of one op; shared by both precisions. */
typedef struct {
    uint8_t kind;          /**< m7_op_kind_t */
    uint8_t src;           /**< m7_buf_t read (the residual input of layers) */
    uint8_t dst;           /**< m7_buf_t written (src may equal dst: compute fully, then store) */
    uint8_t cond;          /**< m7_buf_t of the mixer input (NAM: INPUT, gated: KNOBS or NONE) */
    uint8_t act;           /**< m7_act_t */
    uint8_t input_skip;    /**< OUTPUT: 1 adds the audio input */
    uint16_t in_ch;        /**< channels read from src */
    uint16_t out_ch;       /**< channels produced (layers: C; RNN: H) */
    uint16_t cond_ch;      /**< channels of cond (0 without a mixer) */
    uint16_t kernel;       /**< taps of the dilated conv (1 for 1x1) */
    uint16_t dilation;     /**< dilation of the conv */
    uint16_t skip_offset;  /**< GATED_LAYER: first skip channel written */
    uint32_t state_offset; /**< first state value of this op (in values, see <NAME>_STATE_LEN) */
    uint32_t state_len;    /**< state values: (kernel-1)*dilation*in_ch for layers, 2H LSTM, H GRU */
} m7_op_geom_t;

/** One op with float32 weights (NULL pointers for absent parts). */
typedef struct {
    m7_op_geom_t g;
    const float *w;     /**< conv1x1 [out][in]; layers [out'][kernel][in] (out' = C, gated 2C);
                             RNN input weights [G*H][in] */
    const float *b;     /**< bias of w: [out] / [out'] / LSTM [4H] / GRU input bias [3H]; or NULL */
    const float *mix_w; /**< layers: [out'][cond_ch] or NULL */
    const float *res_w; /**< layers: [C][C] or NULL (last layer) */
    const float *res_b; /**< layers: [C] or NULL */
    const float *w_h;   /**< RNN recurrent weights [G*H][H] */
    const float *b_h;   /**< GRU recurrent bias [3H] */
    float scale;        /**< OUTPUT: y = scale * out[0] (+ audio) */
} m7_op_f32_t;

/** One op with q15 weights; `*_frac` are Q formats (value = int * 2^-frac). */
typedef struct {
    m7_op_geom_t g;
    const int16_t *w;
    const int32_t *b;
    const int16_t *mix_w;
    const int16_t *res_w;
    const int32_t *res_b;
    const int16_t *w_h;
    const int32_t *b_h;
    int8_t w_frac, b_frac, mix_w_frac, res_w_frac, res_b_frac, w_h_frac, b_h_frac;
    int8_t in_frac;      /**< format of the int16 src vector (HEAD: convert int32 Q15 to this first) */
    int8_t out_frac;     /**< format stored to dst x (15 for int32 head/out and Q15 buffers) */
    int8_t acc_frac;     /**< accumulator of the main sum (conv + mixer + bias; RNN input part) */
    int8_t res_acc_frac; /**< accumulator of x + res_w z + res_b */
    int8_t acc_h_frac;   /**< GRU: accumulator of w_h h + b_h */
    int16_t scale;       /**< OUTPUT: y = sat16(round(out * scale * 2^-scale_frac)) (+ audio) */
    int8_t scale_frac;
} m7_op_q15_t;

/** A whole model; exactly one of ops_f32 / ops_q15 is set, per `precision`. */
typedef struct {
    uint32_t format_version;   /**< M7_MODEL_FORMAT_VERSION of the generator */
    const char *name;          /**< model name */
    uint8_t precision;         /**< m7_precision_t */
    uint8_t n_inputs;          /**< 1 + knobs */
    uint16_t n_ops;
    uint32_t sample_rate;      /**< Hz the model was trained at */
    uint32_t receptive_field;  /**< samples (1 for RNNs) */
    uint32_t macs_per_sample;
    uint32_t state_len;        /**< persistent state values (sum of op state_len) */
    uint16_t x_len, head_len, skip_len, h_len; /**< buffer sizes in values */
    uint16_t scratch_len;      /**< per-sample temporaries in values (pre-activations, gates, 1x1 out) */
    const m7_op_f32_t *ops_f32;
    const m7_op_q15_t *ops_q15;
} m7_model_t;

#ifdef __cplusplus
}
#endif

#endif /* M7_MODEL_H */
