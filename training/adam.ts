// Adam with L2 weight decay on the weight tensors, shared by the MLP and CNN trainers. Gradients are
// sums over a batch; dividing by the batch's total class weight makes them the weighted mean.
export interface Adam {
  step(grads: readonly Float64Array[], batchWeight: number): void;
}

/** `tensors` alternate weight, bias, weight, bias…; only weights (even indices) are decayed. */
export function adam(tensors: readonly Float64Array[], learningRate: number, l2: number): Adam {
  const m1 = tensors.map((t) => new Float64Array(t.length));
  const m2 = tensors.map((t) => new Float64Array(t.length));
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;
  return {
    step(grads, batchWeight) {
      step++;
      const lrT = (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      tensors.forEach((t, ti) => {
        const g = grads[ti]!;
        const isWeight = ti % 2 === 0;
        const a = m1[ti]!;
        const v = m2[ti]!;
        for (let i = 0; i < t.length; i++) {
          let gi = g[i]! / batchWeight;
          if (isWeight) gi += l2 * t[i]!;
          a[i] = beta1 * a[i]! + (1 - beta1) * gi;
          v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
          t[i]! -= (lrT * a[i]!) / (Math.sqrt(v[i]!) + 1e-8);
        }
      });
    },
  };
}
