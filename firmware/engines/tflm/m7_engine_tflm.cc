// The tflm engine: the m7_engine.h API on TensorFlow Lite Micro (see m7_engine_tflm.h for what differs).
// The model is the generated C array m7_tflm_model_data (firmware/engines/tflm/tflm.cmake) with its op
// list M7_TFLM_OPS; the caller's scratch is the tensor arena.
#include "m7_engine_tflm.h"

#include <math.h>
#include <new>
#include <string.h>

#include "m7_engine.h"
#include "m7_tflm_model.h"
#include "tensorflow/lite/micro/micro_allocator.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/micro/micro_resource_variable.h"
#include "tensorflow/compiler/mlir/lite/schema/schema_utils.h"
#include "tensorflow/lite/schema/schema_generated.h"

namespace {

// The one interpreter of the program, in static storage (no heap).
struct Tflm {
    tflite::MicroMutableOpResolver<M7_TFLM_N_OPS> resolver;
    tflite::MicroResourceVariables *vars;
    tflite::MicroInterpreter *interp;
    TfLiteTensor *input;
    TfLiteTensor *output;
    size_t block;      // samples per Invoke
    size_t channels;   // input channels: audio then knobs
    size_t used;       // arena_used_bytes()
};
alignas(Tflm) uint8_t tflm_storage[sizeof(Tflm)];
alignas(tflite::MicroInterpreter) uint8_t interp_storage[sizeof(tflite::MicroInterpreter)];
Tflm *tflm = nullptr;
const void *tflm_owner = nullptr;  // the engine struct that initialised tflm

// Resource variables: at most one per VAR_HANDLE op (each variable has one in the CALL_ONCE
// subgraph and one in the main graph, so this is about twice the need; a slot is a few bytes).
int count_var_handles(const tflite::Model *model)
{
    int n = 0;
    const auto *codes = model->operator_codes();
    for (const auto *sub : *model->subgraphs()) {
        if (sub->operators() == nullptr) {
            continue;
        }
        for (const auto *op : *sub->operators()) {
            if (tflite::GetBuiltinCode(codes->Get(op->opcode_index())) == tflite::BuiltinOperator_VAR_HANDLE) {
                n++;
            }
        }
    }
    return n;
}

// Set up the interpreter on @p arena for an input of type @p type; the caller checked the arguments.
m7_status_t tflm_init(const m7_model_t *model, void *arena, size_t arena_bytes, TfLiteType type)
{
    tflm = nullptr;
    const tflite::Model *m = tflite::GetModel(m7_tflm_model_data);
    if (m->version() != TFLITE_SCHEMA_VERSION) {
        return M7_ERR_VERSION;
    }
    Tflm *t = new (tflm_storage) Tflm();
#define M7_TFLM_ADD_OP(name) t->resolver.Add##name();
    M7_TFLM_OPS(M7_TFLM_ADD_OP)
#undef M7_TFLM_ADD_OP
    tflite::MicroAllocator *alloc = tflite::MicroAllocator::Create(static_cast<uint8_t *>(arena), arena_bytes);
    if (alloc == nullptr) {
        return M7_ERR_SCRATCH_SIZE;
    }
    t->vars = tflite::MicroResourceVariables::Create(alloc, count_var_handles(m));
    if (t->vars == nullptr) {
        return M7_ERR_SCRATCH_SIZE;
    }
    t->interp = new (interp_storage) tflite::MicroInterpreter(m, t->resolver, alloc, t->vars);
    if (t->interp->AllocateTensors() != kTfLiteOk) {
        return M7_ERR_SCRATCH_SIZE;  // the arena is too small (or an op is not registered)
    }
    t->input = t->interp->input(0);
    t->output = t->interp->output(0);
    if (t->input->type != type || t->output->type != type) {
        return M7_ERR_PRECISION;
    }
    const TfLiteIntArray *dims = t->input->dims;  // (1, B, 1+K)
    if (dims->size != 3 || dims->data[2] != static_cast<int>(model->n_inputs)) {
        return M7_ERR_MODEL;
    }
    t->block = static_cast<size_t>(dims->data[1]);
    t->channels = static_cast<size_t>(dims->data[2]);
    t->used = t->interp->arena_used_bytes();
    tflm = t;
    return M7_OK;
}

// Checks shared by both precisions' init.
m7_status_t check_init(const void *e, const m7_model_t *model, const void *scratch, size_t max_block,
                       uint8_t precision)
{
    if (e == nullptr || model == nullptr || scratch == nullptr) {
        return M7_ERR_NULL;
    }
    if (model->format_version != M7_MODEL_FORMAT_VERSION) {
        return M7_ERR_VERSION;
    }
    if (model->precision != precision) {
        return M7_ERR_PRECISION;
    }
    if (model->n_inputs < 1u || model->n_inputs - 1u > M7_ENGINE_MAX_KNOBS) {
        return M7_ERR_UNSUPPORTED;
    }
    if ((reinterpret_cast<uintptr_t>(scratch) & 3u) != 0u) {
        return M7_ERR_ALIGN;
    }
    return max_block == 0u ? M7_ERR_ARG : M7_OK;
}

// init for either API: the f32 and q15 engine structs differ only in their buffer pointer types.
template <typename Engine, typename StatePtr, typename ScratchPtr>
m7_status_t init_engine(Engine *e, const m7_model_t *model, StatePtr state, ScratchPtr scratch,
                        size_t scratch_bytes, size_t max_block, uint8_t precision, TfLiteType type)
{
    m7_status_t st = check_init(e, model, scratch, max_block, precision);
    if (st == M7_OK) {
        tflm_owner = nullptr;
        st = tflm_init(model, scratch, scratch_bytes, type);
    }
    if (st != M7_OK) {
        if (e != nullptr) {
            e->model = nullptr;
        }
        return st;
    }
    *e = Engine{};
    e->model = model;
    e->state = state;
    e->scratch = scratch;
    e->max_block = static_cast<uint32_t>(max_block);
    tflm_owner = e;
    return M7_OK;
}

// The check every call on an initialised engine starts with (either API).
template <typename Engine>
m7_status_t check_owner(const Engine *e)
{
    if (e == nullptr) {
        return M7_ERR_NULL;
    }
    return e->model == nullptr || tflm_owner != e ? M7_ERR_NOT_INIT : M7_OK;
}

// process for either API: put(x, i, v) stores API sample v as value i of the model's input tensor x,
// take(y, i) converts value i of its output tensor y back to an API sample.
template <typename Engine, typename Sample, typename Put, typename Take>
m7_status_t process_engine(Engine *e, const Sample *in, const Sample *knobs, Sample *out, size_t n, Put put,
                           Take take)
{
    if (in == nullptr || out == nullptr) {
        return M7_ERR_NULL;
    }
    m7_status_t st = check_owner(e);
    if (st != M7_OK) {
        return st;
    }
    const size_t c = tflm->channels, k = c - 1u;
    st = run_blocks(
        n,
        [&](size_t at) {
            for (size_t i = 0; i < tflm->block; i++) {
                put(tflm->input, i * c, in[at + i]);
                for (size_t j = 0; j < k; j++) {
                    const Sample v = knobs != nullptr ? knobs[(at + i) * k + j] : e->knobs[j];
                    put(tflm->input, i * c + 1u + j, v);
                }
            }
        },
        [&](size_t at) {
            for (size_t i = 0; i < tflm->block; i++) {
                out[at + i] = take(tflm->output, i);
            }
        });
    if (st == M7_OK && knobs != nullptr && n > 0u) {
        memcpy(e->knobs, &knobs[(n - 1u) * k], k * sizeof(Sample));
    }
    e->t += n;
    return st;
}

template <typename Engine, typename Sample>
m7_status_t set_knobs_engine(Engine *e, const Sample *knobs)
{
    if (knobs == nullptr) {
        return M7_ERR_NULL;
    }
    m7_status_t st = check_owner(e);
    if (st == M7_OK) {
        memcpy(e->knobs, knobs, (tflm->channels - 1u) * sizeof(Sample));
    }
    return st;
}

template <typename Engine>
m7_status_t reset_engine(Engine *e)
{
    m7_status_t st = check_owner(e);
    if (st != M7_OK) {
        return st;
    }
    e->t = 0;
    return tflm->vars->ResetAll() == kTfLiteOk ? M7_OK : M7_ERR_MODEL;
}

// Run n samples (a multiple of the block): fill() writes one block of model input, drain() reads one.
template <typename Fill, typename Drain>
m7_status_t run_blocks(size_t n, Fill fill, Drain drain)
{
    if (n % tflm->block != 0u) {
        return M7_ERR_ARG;
    }
    for (size_t done = 0; done < n; done += tflm->block) {
        fill(done);
        if (tflm->interp->Invoke() != kTfLiteOk) {
            return M7_ERR_MODEL;
        }
        drain(done);
    }
    return M7_OK;
}

int8_t quantize_i8(float x, float scale, int32_t zero_point)
{
    long q = lroundf(x / scale) + zero_point;
    return static_cast<int8_t>(q < -128 ? -128 : (q > 127 ? 127 : q));
}

int16_t to_q15(float x)
{
    long q = lroundf(x * 32768.0f);
    return static_cast<int16_t>(q < -32768 ? -32768 : (q > 32767 ? 32767 : q));
}

}  // namespace

extern "C" {

size_t m7_engine_tflm_arena_used_bytes(void) { return tflm != nullptr ? tflm->used : 0u; }

size_t m7_engine_tflm_block(void) { return tflm != nullptr ? tflm->block : 0u; }

// ---- f32: model_stream_f32.tflite
size_t m7_engine_state_bytes_f32(const m7_model_t *) { return 0u; }

size_t m7_engine_scratch_bytes_f32(const m7_model_t *model, size_t)
{
    return model != nullptr ? M7AMP_TFLM_ARENA_BYTES : 0u;
}

m7_status_t m7_engine_init_f32(m7_engine_f32_t *e, const m7_model_t *model, float *state, size_t,
                               float *scratch, size_t scratch_bytes, size_t max_block)
{
    return init_engine(e, model, state, scratch, scratch_bytes, max_block, M7_PRECISION_F32,
                       kTfLiteFloat32);
}

m7_status_t m7_engine_process_f32(m7_engine_f32_t *e, const float *in, const float *knobs, float *out,
                                  size_t n)
{
    return process_engine(
        e, in, knobs, out, n, [](TfLiteTensor *x, size_t i, float v) { x->data.f[i] = v; },
        [](const TfLiteTensor *y, size_t i) { return y->data.f[i]; });
}

m7_status_t m7_engine_set_knobs_f32(m7_engine_f32_t *e, const float *knobs)
{
    return set_knobs_engine(e, knobs);
}

m7_status_t m7_engine_reset_f32(m7_engine_f32_t *e) { return reset_engine(e); }

// ---- q15 API: model_stream_int8.tflite. Q15 audio and knobs are converted to and from the model's
// int8 grid with its own scale and zero point (round to nearest, saturate), like the TFLite reference.
size_t m7_engine_state_bytes_q15(const m7_model_t *) { return 0u; }

size_t m7_engine_scratch_bytes_q15(const m7_model_t *model, size_t)
{
    return model != nullptr ? M7AMP_TFLM_ARENA_BYTES : 0u;
}

m7_status_t m7_engine_init_q15(m7_engine_q15_t *e, const m7_model_t *model, void *state, size_t,
                               void *scratch, size_t scratch_bytes, size_t max_block)
{
    return init_engine(e, model, state, scratch, scratch_bytes, max_block, M7_PRECISION_Q15,
                       kTfLiteInt8);
}

m7_status_t m7_engine_process_q15(m7_engine_q15_t *e, const int16_t *in, const int16_t *knobs, int16_t *out,
                                  size_t n)
{
    return process_engine(
        e, in, knobs, out, n,
        [](TfLiteTensor *x, size_t i, int16_t v) {
            const float audio = static_cast<float>(v) / 32768.0f;
            x->data.int8[i] = quantize_i8(audio, x->params.scale, x->params.zero_point);
        },
        [](const TfLiteTensor *y, size_t i) {
            return to_q15(static_cast<float>(y->data.int8[i] - y->params.zero_point) * y->params.scale);
        });
}

m7_status_t m7_engine_set_knobs_q15(m7_engine_q15_t *e, const int16_t *knobs)
{
    return set_knobs_engine(e, knobs);
}

m7_status_t m7_engine_reset_q15(m7_engine_q15_t *e) { return reset_engine(e); }

}  // extern "C"
