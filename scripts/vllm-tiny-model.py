"""Writes the tiny Llama model directory (called by scripts/make-tiny-model).

Every file is a pure function of the constants below: the corpus comes from a fixed word list
walked by a fixed linear congruential generator, so two runs write the same bytes.
"""

import json
import os
import sys
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

VOCAB_SIZE = 2048
PAD, BOS, EOS = "<pad>", "<s>", "</s>"
SPECIAL_TOKENS = [PAD, BOS, EOS]  # ids 0, 1, 2 in this order

# Plain words spread over the topics a serving benchmark's prompts touch, so that common English
# and a little code and arithmetic tokenise into multi-byte pieces rather than single bytes.
WORDS = """
the a an of to in on at by for with from into over under after before about between during
and or but so because while when where which who whose that this these those it its they them
is are was were be been being has have had do does did can could will would should may might
server request token tokens batch queue cache memory model layer weight head kernel engine
price cost hour dollar budget load rate second minute latency throughput window metric counter
gauge histogram bucket sample scrape stream chunk prompt output input length limit step knee
curve fit sweep scenario variant report chart table value mean median percentile error
warning result file folder line field name number time first last next every each many few
small large fast slow busy idle early late high low new old good bad same other more less
river mountain forest garden kitchen window station library market harbour bridge village
morning evening winter summer weather letter story music painting question answer reason
run runs running send sends sent read reads write writes wrote start starts stop stops wait
waits measure measures count counts grow grows fall falls rise rises keep keeps give gives
think thinks know knows find finds show shows call calls try tries turn turns hold holds
red green blue yellow black white bright dark quiet loud warm cold simple careful clear
one two three four five six seven eight nine ten hundred thousand million half quarter
""".split()

CODE_LINES = [
    "def rate_per_second(count, seconds):",
    "    return count / seconds if seconds > 0 else 0.0",
    "for i in range(10):",
    "    total += values[i] * weights[i]",
    "const ttftMs = firstTokenAt - sentAt;",
    "if (queue.length > limit) { throw new Error('queue full'); }",
    "SELECT name, count(*) FROM requests GROUP BY name;",
    '{"model": "tiny", "max_tokens": 128, "stream": true}',
]

PUNCTUATION = [".", ".", ".", ",", "?", "!", ";", ":"]

# Made-up names from syllables give the trainer enough distinct pieces to reach 2,048 tokens.
ONSETS = ["b", "br", "c", "ch", "d", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "r", "s",
          "sh", "st", "t", "th", "tr", "v", "w", "z"]
NUCLEI = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"]
CODAS = ["", "", "n", "r", "s", "l", "nd", "st", "x", "m"]


def lcg(seed):
    """Numerical Recipes' 32-bit LCG: reproducible on every Python, unlike `random`'s internals."""
    state = seed
    while True:
        state = (1664525 * state + 1013904223) % 2**32
        yield state


def made_up_word(rng):
    syllables = 1 + next(rng) % 3
    return "".join(
        ONSETS[next(rng) % len(ONSETS)]
        + NUCLEI[next(rng) % len(NUCLEI)]
        + CODAS[next(rng) % len(CODAS)]
        for _ in range(syllables)
    )


def corpus(lines=8000):
    rng = lcg(20261203)
    out = []
    for n in range(lines):
        length = 4 + next(rng) % 14
        words = [
            made_up_word(rng) if next(rng) % 4 == 0 else WORDS[next(rng) % len(WORDS)]
            for _ in range(length)
        ]
        if next(rng) % 5 == 0:
            words.insert(next(rng) % length, str(next(rng) % 10000))
        sentence = " ".join(words)
        sentence = sentence[0].upper() + sentence[1:] + PUNCTUATION[next(rng) % len(PUNCTUATION)]
        out.append(sentence)
        if n % 25 == 0:
            out.append(CODE_LINES[next(rng) % len(CODE_LINES)])
        if n % 40 == 0:
            a, b = next(rng) % 1000, next(rng) % 1000
            out.append(f"{a} + {b} = {a + b}; {a} * {b} = {a * b}")
    return out


def train_tokenizer():
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    # Like Llama: a completion prompt starts with BOS; chat prompts get it from the template.
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A",
        pair=f"{BOS} $A {BOS} $B",
        special_tokens=[(BOS, SPECIAL_TOKENS.index(BOS))],
    )
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus(), trainer=trainer)
    size = tokenizer.get_vocab_size()
    if size != VOCAB_SIZE:
        sys.exit(f"vllm-tiny-model: trained {size} tokens, expected {VOCAB_SIZE}")
    for i, token in enumerate(SPECIAL_TOKENS):
        if tokenizer.token_to_id(token) != i:
            sys.exit(f"vllm-tiny-model: {token} is not id {i}")
    return tokenizer


# Roles in plain text, one turn per block, each closed by EOS so that a model trained on it would
# know where a turn ends; the generation prompt opens the assistant's turn.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}{{ eos_token }}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "vocab_size": VOCAB_SIZE,
    "hidden_size": 256,
    "intermediate_size": 512,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "head_dim": 64,
    "hidden_act": "silu",
    "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-05,
    "rope_theta": 10000.0,
    "attention_bias": False,
    "mlp_bias": False,
    "tie_word_embeddings": False,
    "initializer_range": 0.02,
    "torch_dtype": "bfloat16",
    "bos_token_id": SPECIAL_TOKENS.index(BOS),
    "eos_token_id": SPECIAL_TOKENS.index(EOS),
    "pad_token_id": SPECIAL_TOKENS.index(PAD),
    "use_cache": True,
}

TOKENIZER_CONFIG = {
    "tokenizer_class": "PreTrainedTokenizerFast",
    "bos_token": BOS,
    "eos_token": EOS,
    "pad_token": PAD,
    "model_max_length": 4096,
    "clean_up_tokenization_spaces": False,
    "chat_template": CHAT_TEMPLATE,
}

# Token ids only: sampling defaults stay vLLM's own, so requests behave as the API documents.
GENERATION_CONFIG = {
    "bos_token_id": SPECIAL_TOKENS.index(BOS),
    "eos_token_id": SPECIAL_TOKENS.index(EOS),
    "pad_token_id": SPECIAL_TOKENS.index(PAD),
}


def replace_atomically(path, text):
    """Two servers may start at once on the same directory: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def as_json(value):
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    replace_atomically(out / "tokenizer.json", train_tokenizer().to_str(pretty=True))
    replace_atomically(out / "config.json", as_json(CONFIG))
    replace_atomically(out / "tokenizer_config.json", as_json(TOKENIZER_CONFIG))
    special = {"bos_token": BOS, "eos_token": EOS, "pad_token": PAD}
    replace_atomically(out / "special_tokens_map.json", as_json(special))
    replace_atomically(out / "generation_config.json", as_json(GENERATION_CONFIG))


if __name__ == "__main__":
    main()
