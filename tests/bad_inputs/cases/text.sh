# Bad text inputs: corpora, vocab.txt files and text splits for `vocab`, `prepare text`,
# `tokenize`, `explain` and `train` with train.task=mlm/classify. Exit 1 for bad data (DataError),
# 2 for a bad option or a model/task that does not fit (ConfigError). A failing vocab writes no
# vocabulary, a failing prepare no output directory, a failing train no run directory.
#
# Valid inputs first, under $fixtures/text (outside $work): the tiny fortune corpus of the text
# unit tests, its vocabulary, MLM and classification splits, and 2-step runs of a tiny bert.
t=$fixtures/text
mkdir -p "$t"
"$here/../unit/text/make_tiny_corpus.sh" "$t/corpus"
corpus=(--input "$t/corpus" --format fortune)
{
  "$DPTRAIN" vocab "${corpus[@]}" --size 150 --out "$t/vocab.txt" &&
    "$DPTRAIN" prepare text "${corpus[@]}" --vocab "$t/vocab.txt" --max-len 16 --out "$t/mlm" &&
    "$DPTRAIN" prepare text "${corpus[@]}" --vocab "$t/vocab.txt" --max-len 16 --labels file --out "$t/cls" &&
    grep -v '^\[MASK\]$' "$t/vocab.txt" >"$t/no_mask.txt" &&
    "$DPTRAIN" prepare text "${corpus[@]}" --vocab "$t/no_mask.txt" --max-len 16 --out "$t/no_mask"
} >"$logs/fixture-text.txt" 2>&1 || { echo "FAIL: could not build the text fixtures"; cat "$logs/fixture-text.txt"; }
cat >"$t/mlm.ini" <<INI
[run]
name = mlm
[data]
train = $t/mlm/train
test = $t/mlm/test
[model]
type = bert
hidden = 16
layers = 1
heads = 2
[train]
task = mlm
global_batch = 8
micro_batch = 8
steps = 2
[log]
progress = off
INI
cls=(--train.task=classify --data.train="$t/cls/train" --data.test="$t/cls/test")
"$DPTRAIN" train --config "$t/mlm.ini" --run.dir="$t/runs" >>"$logs/fixture-text.txt" 2>&1 &&
  "$DPTRAIN" train --config "$t/mlm.ini" --run.dir="$t/runs" --run.name=cls "${cls[@]}" \
    >>"$logs/fixture-text.txt" 2>&1 || { echo "FAIL: could not train the text fixtures"; cat "$logs/fixture-text.txt"; }
mlm_ckpt=$t/runs/mlm/checkpoints/step_00000002.h5
cls_ckpt=$t/runs/cls/checkpoints/step_00000002.h5

# vocab: the output file must not appear.
vocab=("$DPTRAIN" vocab --format fortune --out "$work/vocab.txt")
bad vocab_missing_corpus 1 "corpus input '$work/nowhere' does not exist" -- "${vocab[@]}" --input "$work/nowhere"
mkdir -p "$work/empty_dir"
bad vocab_corpus_dir_without_files 1 "corpus inputs hold no files: $work/empty_dir" -- "${vocab[@]}" --input "$work/empty_dir"
: >"$work/empty.txt"
bad vocab_empty_corpus 1 "corpus $work/empty.txt holds no documents" -- "${vocab[@]}" --input "$work/empty.txt"
printf 'fine\n%%\ncaf\xe9\n%%\n' >"$work/latin1.txt"
bad vocab_invalid_utf8 1 "corpus file '$work/latin1.txt': invalid UTF-8 at byte offset 10" \
  -- "${vocab[@]}" --input "$work/latin1.txt"
bad vocab_size_below_specials 2 "vocabulary size 3 .*5 special" -- "${vocab[@]}" --input "$t/corpus" --size 3
bad vocab_unknown_score 2 "unknown merge score 'bpe'" -- "${vocab[@]}" --input "$t/corpus" --score bpe
bad vocab_out_in_missing_dir 1 "$work/nodir/vocab.txt" -- "$DPTRAIN" vocab "${corpus[@]}" --out "$work/nodir/vocab.txt"

# prepare text: bad corpora and bad vocabularies; <out> must not appear.
prepare=("$DPTRAIN" prepare text --vocab "$t/vocab.txt" --max-len 16 --out "$work/out")
bad prepare_text_missing_corpus 1 "corpus input '$work/nowhere' does not exist" -- "${prepare[@]}" --input "$work/nowhere"
bad prepare_text_empty_corpus 1 "train split got no documents from the text corpus $work/empty.txt" \
  -- "${prepare[@]}" --input "$work/empty.txt"
# Documents for the train split but none for the test split: neither split may be written.
printf 'one fortune\n%%\ntwo fortunes\n%%\n' >"$work/two.txt"
bad prepare_text_no_test_documents 1 "test split got no documents from the text corpus $work/two.txt" \
  -- "${prepare[@]}" --input "$work/two.txt" --format fortune --test-fraction 0.01
bad prepare_text_invalid_utf8 1 "corpus file '$work/latin1.txt': invalid UTF-8 at byte offset 10 \(bytes 0xE9" \
  -- "${prepare[@]}" --input "$work/latin1.txt" --format fortune
printf 'text\tlabel\nno label column here\n' >"$work/short.tsv"
bad prepare_text_tsv_missing_column 1 "$work/short.tsv:2: 1 tab-separated column" \
  -- "${prepare[@]}" --input "$work/short.tsv" --format tsv --labels column
bad prepare_text_max_len_too_small 2 "--max-len must be >= 3.*got 2" \
  -- "$DPTRAIN" prepare text "${corpus[@]}" --vocab "$t/vocab.txt" --out "$work/out" --max-len 2
bad prepare_text_unknown_class 1 "class 'delta' of --classes has no documents.*alpha, beta, gamma" \
  -- "${prepare[@]}" "${corpus[@]}" --labels file --classes alpha,delta
bad prepare_text_unknown_format 2 "unknown corpus format 'csv'" -- "${prepare[@]}" --input "$t/corpus" --format csv
v=("$DPTRAIN" prepare text "${corpus[@]}" --max-len 16 --out "$work/out" --vocab)
bad prepare_text_missing_vocab 1 "cannot open the vocabulary '$work/none.txt'" -- "${v[@]}" "$work/none.txt"
: >"$work/empty_vocab.txt"
bad prepare_text_empty_vocab 1 "vocabulary '$work/empty_vocab.txt' has no \[UNK\] token \(of 0 lines\)" \
  -- "${v[@]}" "$work/empty_vocab.txt"
printf '[PAD]\n[UNK]\nthe\n\xff\xfe\n' >"$work/binary_vocab.txt"
bad prepare_text_vocab_invalid_utf8 1 "vocabulary '$work/binary_vocab.txt': invalid UTF-8 at byte offset 16" \
  -- "${v[@]}" "$work/binary_vocab.txt"
for special in UNK PAD CLS SEP; do
  grep -v "^\[$special\]\$" "$t/vocab.txt" >"$work/no_$special.txt"
  bad "prepare_text_vocab_without_$special" 1 "vocabulary '$work/no_$special.txt' (has no|lacks) \[$special\]" \
    -- "${v[@]}" "$work/no_$special.txt"
done

# tokenize
bad tokenize_invalid_utf8_file 1 "$work/latin1.txt: invalid UTF-8 at byte offset 10" \
  -- "$DPTRAIN" tokenize --vocab "$t/vocab.txt" --file "$work/latin1.txt"

# train with text splits: exit 1 for a split that lacks what the task needs, 2 for a model that
# does not fit; no run directory may appear.
train=("$DPTRAIN" train --config "$t/mlm.ini" --run.dir="$work/runs")
bad train_classify_on_mlm_split 1 "training split has no label field.*train.task=mlm" -- "${train[@]}" --train.task=classify
bad train_mlm_without_mask_token 1 "train.task=mlm needs a \[MASK\] token.*no_mask.txt" \
  -- "${train[@]}" --data.train="$t/no_mask/train" --data.test="$t/no_mask/test"
bad train_mlm_with_mlp 2 "train.task=mlm .*needs model.type=bert, not mlp" -- "${train[@]}" --model.type=mlp
bad train_mlm_on_images 2 "model.type=bert needs token-id samples.*dptrain prepare text" \
  -- "${train[@]}" --data.train="$fixtures/test" --data.test="$fixtures/test"
bad train_vocab_size_mismatch 2 "model.vocab_size=100 .*vocabulary of 150" -- "${train[@]}" --model.vocab_size=100
bad train_bert_max_len_too_small 2 "model.max_len=8 is shorter than the dataset's sequences \(16" \
  -- "${train[@]}" --model.max_len=8
bad train_mlm_probability_zero 2 "train.mlm_probability=0 must lie in \(0, 1\]" -- "${train[@]}" --train.mlm_probability=0
bad train_init_from_other_sizes 2 "train.init_from=.*step_00000002.h5: .* in the checkpoint but .* in the model" \
  -- "${train[@]}" "${cls[@]}" --model.hidden=32 --train.init_from="$t/runs/mlm"
bad train_init_from_missing 2 "train.init_from=$work/none: no such file" -- "${train[@]}" "${cls[@]}" --train.init_from="$work/none"
bad train_init_from_other_model 2 "train.init_from=.*ckpt.h5: no tensor of the checkpoint has a name of this model" \
  -- "${train[@]}" "${cls[@]}" --train.init_from="$fixtures/ckpt.h5"

# explain
explain=("$DPTRAIN" explain --checkpoint "$cls_ckpt")
bad explain_non_bert_checkpoint 2 "explains a bert classifier; .*ckpt.h5 holds a mlp model" \
  -- "$DPTRAIN" explain --checkpoint "$fixtures/ckpt.h5" --text "a text"
bad explain_mlm_checkpoint 2 "explains a bert classifier; .*mlm.*train.task=mlm" \
  -- "$DPTRAIN" explain --checkpoint "$mlm_ckpt" --text "a text"
bad explain_invalid_utf8_text 1 "--text: invalid UTF-8 at byte offset 3" -- "${explain[@]}" --text $'caf\xe9 au lait'
bad explain_missing_input 2 "--input $work/none.txt: cannot read it" -- "${explain[@]}" --input "$work/none.txt"
# A --vocab other than the split's (Note [Vocabulary identity]) is refused before anything
# else is checked about it: one of another size, and one of the same size without [CLS].
bad explain_vocab_of_other_size 1 "--vocab is $t/no_mask.txt .*, but the split $t/cls/train was tokenized with $t/vocab.txt" \
  -- "${explain[@]}" --text "a text" --vocab "$t/no_mask.txt"
sed 's/^\[CLS\]$/cls/' "$t/vocab.txt" >"$work/no_cls_150.txt"
bad explain_vocab_without_cls 1 "--vocab is $work/no_cls_150.txt .*, but the split $t/cls/train was tokenized with" \
  -- "${explain[@]}" --text "a text" --vocab "$work/no_cls_150.txt"
bad explain_zero_steps 2 "--steps must be at least 1, got 0" -- "${explain[@]}" --text "a text" --steps 0
