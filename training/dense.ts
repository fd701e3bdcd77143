// Forward and backward passes of a stack of dense layers (Relu between them, a linear last layer), for
// one row at a time, shared by the MLP and the CNN head.
import type { DenseLayer } from './mlp.ts';

/** acts[0] is the input; fills acts[1..] with each layer's output and returns the last layer's first output. */
export function denseForward(layers: readonly DenseLayer[], acts: Float64Array[]): number {
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l]!;
    const inp = acts[l]!;
    const outp = acts[l + 1]!;
    const last = l === layers.length - 1;
    for (let o = 0; o < layer.outDim; o++) {
      let s = layer.bias[o]!;
      const base = o * layer.inDim;
      for (let i = 0; i < layer.inDim; i++) s += layer.weight[base + i]! * inp[i]!;
      outp[o] = last ? s : Math.max(0, s);
    }
  }
  return acts[layers.length]![0]!;
}

/**
 * Back-propagates deltas[layers.length] (the output's gradient) through the layers, adding to
 * grads[offset + 2l] (weights) and grads[offset + 2l + 1] (biases); deltas[0] ends as the input's gradient.
 */
export function denseBackward(
  layers: readonly DenseLayer[],
  acts: readonly Float64Array[],
  deltas: Float64Array[],
  grads: readonly Float64Array[],
  offset = 0,
): void {
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const inp = acts[l]!;
    const dOut = deltas[l + 1]!;
    const dIn = deltas[l]!;
    const gw = grads[offset + 2 * l]!;
    const gb = grads[offset + 2 * l + 1]!;
    dIn.fill(0, 0, layer.inDim);
    for (let o = 0; o < layer.outDim; o++) {
      const d = dOut[o]!;
      if (d === 0) continue;
      gb[o]! += d;
      const base = o * layer.inDim;
      for (let i = 0; i < layer.inDim; i++) {
        gw[base + i]! += d * inp[i]!;
        dIn[i]! += d * layer.weight[base + i]!;
      }
    }
    if (l > 0) for (let i = 0; i < layer.inDim; i++) if (inp[i]! <= 0) dIn[i] = 0; // Relu'
  }
}
