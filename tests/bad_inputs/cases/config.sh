# Bad configuration: INI files and command lines. Exit 2 (bad command line or configuration),
# before any work: no run directory appears.
# Runs land in the case's working directory (runs/), which must stay empty.
train=("$DPTRAIN" train --config "$fixtures/train.ini")
# ini <name> <lines...>: the valid fixture config with <lines> appended; prints its path.
ini() { { cat "$fixtures/train.ini"; printf '%s\n' "${@:2}"; } >"$work/$1.ini"; echo "$work/$1.ini"; }
train_ini=("$DPTRAIN" train --config)

f=$(ini unknown_key "[train]" "global_bach = 128")
bad config_unknown_key_ini 2 "unknown option 'train.global_bach'.*unknown_key.ini.*did you mean 'train.global_batch'" \
  -- "${train_ini[@]}" "$f"
bad config_unknown_key_cli 2 "unknown option 'train.micro_bach'.*command line.*train.micro_batch" \
  -- "${train[@]}" --train.micro_bach=32
f=$(ini wrong_type "[train]" "seed = lots")
bad config_wrong_type_ini 2 "train.seed = 'lots'.*wrong_type.ini.*not an integer" -- "${train_ini[@]}" "$f"
bad config_wrong_type_float 2 "train.micro_batch = '6.5'.*not an integer" -- "${train[@]}" --train.micro_batch=6.5
bad config_negative_size 2 "train.micro_batch = '-64'.*at least 1" -- "${train[@]}" --train.micro_batch=-64
# Note [Boost placeholders]: a value spelling a placeholder of Boost's messages hung the parser.
bad config_value_spells_placeholder 2 "argument \('%value%'\) for option '--stop-after' is invalid" \
  -- "${train[@]}" --stop-after %value%
f=$(ini placeholder_line "%invalid_line%")
bad config_line_spells_placeholder 2 "placeholder_line.ini.*invalid line '%invalid_line%'" -- "${train_ini[@]}" "$f"
bad config_zero_size 2 "train.global_batch = '0'.*at least 1" -- "${train[@]}" --train.global_batch=0
bad config_zero_prefetch 2 "data.prefetch = '0'.*at least 1" -- "${train[@]}" --data.prefetch=0
bad config_int_overflow 2 "train.steps = '99999999999999999999'.*not an integer" \
  -- "${train[@]}" --train.steps=99999999999999999999
bad config_indivisible_batch 2 "global batch 100 .*64.*train.global_batch, train.micro_batch" \
  -- "${train[@]}" --train.global_batch=100 --train.micro_batch=64
bad config_missing_file 2 "config file '$work/nowhere.ini' cannot be read" -- "${train_ini[@]}" "$work/nowhere.ini"
bad config_bad_enum 2 "optim.name = 'sgdd'.*must be one of sgd\|adam\|adamw" -- "${train[@]}" --optim.name=sgdd
bad config_bad_bool 2 "data.shuffle = 'maybe'.*not a boolean" -- "${train[@]}" --data.shuffle=maybe
bad config_bad_int_list 2 "model.hidden.*256,x" -- "${train[@]}" --model.hidden=256,x
f=$(ini no_equals "[train]" "global_batch 128")
bad config_ini_syntax 2 "no_equals.ini" -- "${train_ini[@]}" "$f"
f=$(ini duplicate "[optim]" "lr = 0.1" "lr = 0.01")
bad config_ini_duplicate_key 2 "duplicate.ini: option optim.lr is set twice" -- "${train_ini[@]}" "$f"
bad config_other_command_section 2 "option --train.steps is not used by 'dptrain eval'" \
  -- "$DPTRAIN" eval --checkpoint "$fixtures/ckpt.h5" --train.steps=3
bad config_bad_stop_signal 2 "run.stop_signals.*SIGFOO" -- "${train[@]}" --run.stop_signals=SIGFOO
bad config_no_train_split 2 "data.train" -- "${train[@]}" --data.train=
bad config_run_dir_is_a_file 2 "cannot create the run directory.*run.dir" \
  -- "${train[@]}" --run.dir="$fixtures/ckpt.h5"
bad config_unknown_command 2 "unknown command 'trian'.*did you mean 'train'" -- "$DPTRAIN" trian
