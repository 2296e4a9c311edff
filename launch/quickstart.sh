#!/usr/bin/env bash
# Installs what is missing, builds dptrain (Release, build/), prepares the Fashion-MNIST
# shards from the Debian package dataset-fashion-mnist (data/fashion_mnist/{train,test}, once),
# and trains the CNN config on 2 ranks; prints the test accuracy and the throughput.
# Extra arguments go to `dptrain train` (e.g. --train.epochs=1 for a short run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$DPT_ROOT/launch/install-deps.sh"
dpt_build "$DPT_ROOT/build" Release
cd "$DPT_ROOT"

src=/usr/share/datasets/fashion-mnist
classes="T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"
for split in train:train test:t10k; do
  name=${split%%:*} prefix=${split##*:}
  if [[ ! -f data/fashion_mnist/$name/manifest.json ]]; then
    build/dptrain prepare idx --images "$src/$prefix-images-idx3-ubyte.gz" \
      --labels "$src/$prefix-labels-idx1-ubyte.gz" --out "data/fashion_mnist/$name" \
      --shards $([[ $name == train ]] && echo 4 || echo 1) --class-names "$classes"
  fi
done

mpirun -np 2 --oversubscribe build/dptrain train --config configs/fashion_mnist_cnn.ini "$@"
