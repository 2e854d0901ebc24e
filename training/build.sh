#!/usr/bin/env bash
# Regenerates the built-in model from seed: corpus -> BPE tokenizer -> training -> HF export + numpy
# reference greedy outputs -> tokenizer check against @huggingface/tokenizers (Node).
#
# Needs Debian's torch and numpy (+ OpenBLAS: without it Debian's torch uses the reference BLAS, ~10x slower):
#   apt-get install -y python3-torch python3-numpy libopenblas0-openmp
# Rerunning resumes an interrupted training from training/data/ckpt.pt; pass --fresh to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3          # Debian's python (has python3-torch); a pyenv python3 on PATH would not
NAME=playstories-0.9m
DATA=training/data
OUT=public/models/$NAME
export OMP_WAIT_POLICY=PASSIVE  # shared 2-core machine: spinning OpenMP threads slow everyone down

if [[ "${1:-}" == "--fresh" ]]; then rm -rf "$DATA"; fi
mkdir -p "$DATA"
if [[ ! -f $DATA/corpus.txt ]]; then
  $PY training/generate_corpus.py --seed 1234 --stories 20000 --out $DATA/corpus.txt
fi
if [[ ! -f $DATA/tokenizer.json ]]; then
  $PY training/train_bpe.py --corpus $DATA/corpus.txt --vocab 1024 --max-bytes 4000000 --out $DATA/tokenizer.json
fi
$PY training/train.py --data $DATA --steps 640 --batch 8 --seq 256 --lr 3e-3 --warmup 40 --wd 0.1 --seed 1234 --threads 2
$PY training/export.py --data $DATA --out $OUT --name $NAME
cp $DATA/final.json $OUT/training-summary.json
$PY training/check_tokenizer.py $OUT/tokenizer.json $DATA/corpus.txt $DATA/tok_cases.json
node training/check_tokenizer.mjs $OUT/tokenizer.json $OUT/tokenizer_config.json $DATA/tok_cases.json
ls -l $OUT
npx vitest run --config training/ts-check/vitest.config.ts   # project TS loader + reference == numpy reference
