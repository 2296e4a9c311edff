#!/usr/bin/env bash
# make_tiny_corpus.sh DIR: a small fortune-format corpus for the text tests: three categories
# (files alpha, beta, gamma) of 60 fortunes each, plus a strfile index that readers must skip.
set -eu
dir=$1
mkdir -p "$dir"
words_alpha=(cats dogs purr bark meadow café naïve résumé)
words_beta=(rocket orbit launch planet Σοφία fuel thrust comet)
words_gamma=(bread butter knead oven 你好 flour yeast crumb)
for cat in alpha beta gamma; do
  declare -n words="words_$cat"
  {
    for i in $(seq 1 60); do
      w1=${words[$((i % 8))]} w2=${words[$(((i * 3) % 8))]} w3=${words[$(((i * 5 + 1) % 8))]}
      echo "The $w1 and the $w2, number $i, went $w3-ward; isn't it ${w1}ish?"
      [[ $((i % 4)) -eq 0 ]] && printf '\t\t-- Someone %s\n' "$i"
      echo "%"
    done
  } >"$dir/$cat"
done
printf '\x00\x01\xff' >"$dir/alpha.dat"
