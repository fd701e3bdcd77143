// Serialises a trained model as an ONNX ModelProto (opset 13) with protobufjs and the schema in onnx.proto.
// MLP graph: features → Sub(mean) → Mul(1/sd) → [Gemm → Relu]* → Gemm → Sigmoid → probability.
// The standardisation lives in the graph, so the served model consumes raw features.
// GBDT graph: features → ai.onnx.ml TreeEnsembleRegressor (sum of leaves + base score) → Sigmoid → probability.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { INPUT_NAME, OUTPUT_NAME } from '../functions/seizure-detector/model.ts';
import { type CnnParams, RAW_EPSILON } from './cnn.ts';
import type { GbdtModel } from './gbdt.ts';
import type { MlpParams } from './mlp.ts';

const SCHEMA = fileURLToPath(new URL('./onnx.proto', import.meta.url));
export const OPSET = 13;
/** ai.onnx.ml opset of the tree ensemble (TreeEnsembleRegressor with plain float attributes). */
export const ML_OPSET = 3;
const IR_VERSION = 8;
const FLOAT = 1;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;
const ATTR_STRINGS = 8;

// The graph's input and output names are what the server feeds and reads: one definition.
export { INPUT_NAME, OUTPUT_NAME } from '../functions/seizure-detector/model.ts';

export interface ExportInfo {
  modelVersion: string;
  docString: string;
  metadata: Record<string, string>;
}

function tensor(name: string, dims: number[], values: ArrayLike<number>) {
  return { name, dims, dataType: FLOAT, floatData: Array.from(Float32Array.from(values)) };
}

const INT64 = 7;
function int64s(name: string, values: number[]) {
  return { name, dims: [values.length], dataType: INT64, int64Data: values };
}

function valueInfo(name: string, dims: Array<number | string>) {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const gemm = (name: string, input: string[], output: string) => ({
  name,
  opType: 'Gemm',
  input,
  output: [output],
  attribute: [
    { name: 'alpha', type: ATTR_FLOAT, f: 1 },
    { name: 'beta', type: ATTR_FLOAT, f: 1 },
    { name: 'transB', type: ATTR_INT, i: 1 },
  ],
});

/**
 * The ONNX model bytes for params. With `blocks` > 1 (a merged seed ensemble, see ensemble.ts) every
 * hidden layer after the first must be block-diagonal; it is written as Split → one Gemm per block →
 * Concat, the same function without multiplying the zeros between blocks.
 */
export function exportOnnx(params: MlpParams, info: ExportInfo, blocks = 1): Uint8Array {
  const root = protobuf.loadSync(SCHEMA);
  const ModelProto = root.lookupType('onnx.ModelProto');
  const dim = params.inputMean.length;
  const initializer = [
    tensor('input_mean', [dim], params.inputMean),
    tensor('input_scale', [dim], params.inputScale),
  ];
  const node: object[] = [
    { name: 'standardise_sub', opType: 'Sub', input: [INPUT_NAME, 'input_mean'], output: ['centred'] },
    { name: 'standardise_mul', opType: 'Mul', input: ['centred', 'input_scale'], output: ['z0'] },
  ];
  let current = 'z0';
  params.layers.forEach((layer, i) => {
    const last = i === params.layers.length - 1;
    const gemmOut = last ? 'logit' : `dense${i}`;
    if (blocks > 1 && i > 0 && !last)
      node.push(...blockGemms(layer, i, blocks, current, gemmOut, initializer));
    else {
      initializer.push(tensor(`dense${i}_weight`, [layer.outDim, layer.inDim], layer.weight));
      initializer.push(tensor(`dense${i}_bias`, [layer.outDim], layer.bias));
      node.push(gemm(`dense${i}`, [current, `dense${i}_weight`, `dense${i}_bias`], gemmOut));
    }
    if (!last) {
      node.push({ name: `relu${i}`, opType: 'Relu', input: [gemmOut], output: [`relu${i}`] });
      current = `relu${i}`;
    }
  });
  node.push({ name: 'sigmoid', opType: 'Sigmoid', input: ['logit'], output: [OUTPUT_NAME] });
  return encode(ModelProto, info, 'seizure_mlp', dim, node, initializer, [{ domain: '', version: OPSET }]);
}

/** A block-diagonal dense layer as Split → Gemm per block → Concat; refuses a layer that is not one. */
function blockGemms(
  layer: MlpParams['layers'][number],
  i: number,
  blocks: number,
  input: string,
  output: string,
  initializer: object[],
): object[] {
  if (layer.inDim % blocks !== 0 || layer.outDim % blocks !== 0)
    throw new Error(`dense${i}: ${layer.outDim}×${layer.inDim} does not split into ${blocks} blocks`);
  const bi = layer.inDim / blocks;
  const bo = layer.outDim / blocks;
  for (let o = 0; o < layer.outDim; o++)
    for (let c = 0; c < layer.inDim; c++)
      if (Math.floor(o / bo) !== Math.floor(c / bi) && layer.weight[o * layer.inDim + c] !== 0)
        throw new Error(`dense${i} is not block-diagonal (weight [${o}][${c}] is not 0)`);
  const parts = Array.from({ length: blocks }, (_, k) => `dense${i}_in${k}`);
  const nodes: object[] = [
    {
      name: `split${i}`,
      opType: 'Split',
      input: [input],
      output: parts,
      attribute: [{ name: 'axis', type: ATTR_INT, i: 1 }],
    },
  ];
  for (let k = 0; k < blocks; k++) {
    const w = new Float64Array(bo * bi);
    for (let o = 0; o < bo; o++)
      for (let c = 0; c < bi; c++) w[o * bi + c] = layer.weight[(k * bo + o) * layer.inDim + k * bi + c]!;
    initializer.push(tensor(`dense${i}_block${k}_weight`, [bo, bi], w));
    initializer.push(tensor(`dense${i}_block${k}_bias`, [bo], layer.bias.subarray(k * bo, (k + 1) * bo)));
    nodes.push(
      gemm(
        `dense${i}_block${k}`,
        [parts[k]!, `dense${i}_block${k}_weight`, `dense${i}_block${k}_bias`],
        `dense${i}_out${k}`,
      ),
    );
  }
  nodes.push({
    name: `concat${i}`,
    opType: 'Concat',
    input: parts.map((_, k) => `dense${i}_out${k}`),
    output: [output],
    attribute: [{ name: 'axis', type: ATTR_INT, i: 1 }],
  });
  return nodes;
}

function encode(
  ModelProto: protobuf.Type,
  info: ExportInfo,
  graphName: string,
  dim: number,
  node: object[],
  initializer: object[],
  opsetImport: Array<{ domain: string; version: number }>,
): Uint8Array {
  const model = {
    irVersion: IR_VERSION,
    opsetImport,
    producerName: 'vigil',
    producerVersion: '1',
    domain: 'org.vigil',
    modelVersion: 1,
    docString: info.docString,
    graph: {
      name: graphName,
      node,
      initializer,
      input: [valueInfo(INPUT_NAME, ['batch', dim])],
      output: [valueInfo(OUTPUT_NAME, ['batch', 1])],
    },
    metadataProps: Object.entries({ model_version: info.modelVersion, ...info.metadata }).map(
      ([key, value]) => ({ key, value }),
    ),
  };
  const err = ModelProto.verify(model);
  if (err) throw new Error(`ONNX model does not match the schema: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/**
 * The ONNX model bytes for a GBDT: one TreeEnsembleRegressor (BRANCH_LEQ nodes: x ≤ threshold goes to
 * the true branch = the tree's left child; SUM of leaf weights plus the base score) and a Sigmoid.
 */
export function exportGbdtOnnx(model: GbdtModel, info: ExportInfo): Uint8Array {
  const root = protobuf.loadSync(SCHEMA);
  const ModelProto = root.lookupType('onnx.ModelProto');
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const targetTree: number[] = [];
  const targetNode: number[] = [];
  const targetWeight: number[] = [];
  model.trees.forEach((t, ti) => {
    for (let k = 0; k < t.feature.length; k++) {
      const leaf = t.feature[k]! < 0;
      treeIds.push(ti);
      nodeIds.push(k);
      featureIds.push(leaf ? 0 : t.feature[k]!);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      values.push(leaf ? 0 : t.threshold[k]!);
      trueIds.push(leaf ? 0 : t.left[k]!);
      falseIds.push(leaf ? 0 : t.right[k]!);
      if (leaf) {
        targetTree.push(ti);
        targetNode.push(k);
        targetWeight.push(t.value[k]!);
      }
    }
  });
  const enc = (v: string) => new TextEncoder().encode(v);
  const ints = (name: string, v: number[]) => ({ name, type: ATTR_INTS, ints: v });
  const node = [
    {
      name: 'trees',
      opType: 'TreeEnsembleRegressor',
      domain: 'ai.onnx.ml',
      input: [INPUT_NAME],
      output: ['logit'],
      attribute: [
        { name: 'n_targets', type: ATTR_INT, i: 1 },
        { name: 'aggregate_function', type: ATTR_STRING, s: enc('SUM') },
        { name: 'post_transform', type: ATTR_STRING, s: enc('NONE') },
        { name: 'base_values', type: ATTR_FLOATS, floats: [model.baseScore] },
        ints('nodes_treeids', treeIds),
        ints('nodes_nodeids', nodeIds),
        ints('nodes_featureids', featureIds),
        { name: 'nodes_modes', type: ATTR_STRINGS, strings: modes.map(enc) },
        { name: 'nodes_values', type: ATTR_FLOATS, floats: values },
        ints('nodes_truenodeids', trueIds),
        ints('nodes_falsenodeids', falseIds),
        ints('target_treeids', targetTree),
        ints('target_nodeids', targetNode),
        ints(
          'target_ids',
          targetTree.map(() => 0),
        ),
        { name: 'target_weights', type: ATTR_FLOATS, floats: targetWeight },
      ],
    },
    { name: 'sigmoid', opType: 'Sigmoid', input: ['logit'], output: [OUTPUT_NAME] },
  ];
  return encode(
    ModelProto,
    info,
    'seizure_gbdt',
    model.dim,
    node,
    [],
    [
      { domain: '', version: OPSET },
      { domain: 'ai.onnx.ml', version: ML_OPSET },
    ],
  );
}

/**
 * The ONNX model bytes for a seed ensemble of hybrid CNNs (cnn.ts) sharing featureDim and rawLength: each
 * row is featureDim inputs then rawLength samples. Graph: Slice the two parts; the window loses its mean
 * and is scaled (its own SD, or the member's global scale); per member: Conv + Relu stages, global
 * average and max pooling, Concat with the standardised features, Gemm/Relu head → logit; the mean of
 * the members' logits → Sigmoid.
 */
export function exportCnnOnnx(members: readonly CnnParams[], info: ExportInfo): Uint8Array {
  const first = members[0];
  if (!first) throw new Error('a CNN ensemble needs at least one member');
  for (const m of members)
    if (m.featureDim !== first.featureDim || m.rawLength !== first.rawLength)
      throw new Error('CNN ensemble members must share one row layout');
  const root = protobuf.loadSync(SCHEMA);
  const ModelProto = root.lookupType('onnx.ModelProto');
  const { featureDim, rawLength } = first;
  const dim = featureDim + rawLength;
  const attrInts = (name: string, ints: number[]) => ({ name, type: ATTR_INTS, ints });
  // opset 13 reductions take their axes as an attribute (an input only from opset 18)
  const reduce = (opType: string, input: string, output: string, axis: number, keepdims: boolean) => ({
    name: output,
    opType,
    input: [input],
    output: [output],
    attribute: [attrInts('axes', [axis]), { name: 'keepdims', type: ATTR_INT, i: keepdims ? 1 : 0 }],
  });
  const initializer: object[] = [
    int64s('axis1', [1]),
    int64s('features_start', [0]),
    int64s('features_end', [featureDim]),
    int64s('raw_end', [dim]),
    int64s('raw_shape', [-1, 1, rawLength]),
  ];
  const node: object[] = [
    {
      name: 'slice_features',
      opType: 'Slice',
      input: [INPUT_NAME, 'features_start', 'features_end', 'axis1'],
      output: ['row_features'],
    },
    {
      name: 'slice_raw',
      opType: 'Slice',
      input: [INPUT_NAME, 'features_end', 'raw_end', 'axis1'],
      output: ['row_raw'],
    },
    reduce('ReduceMean', 'row_raw', 'raw_mean', 1, true),
    { name: 'raw_centre', opType: 'Sub', input: ['row_raw', 'raw_mean'], output: ['raw_centred'] },
  ];
  const ownSd = members.some((m) => m.rawScale === 'window');
  if (ownSd) initializer.push(tensor('raw_epsilon', [], [RAW_EPSILON]));
  if (ownSd)
    node.push(
      { name: 'raw_square', opType: 'Mul', input: ['raw_centred', 'raw_centred'], output: ['raw_sq'] },
      reduce('ReduceMean', 'raw_sq', 'raw_var', 1, true),
      { name: 'raw_var_eps', opType: 'Add', input: ['raw_var', 'raw_epsilon'], output: ['raw_var_eps'] },
      { name: 'raw_sd', opType: 'Sqrt', input: ['raw_var_eps'], output: ['raw_sd'] },
      { name: 'raw_standardise', opType: 'Div', input: ['raw_centred', 'raw_sd'], output: ['raw_own'] },
    );
  const logits: string[] = [];
  members.forEach((m, k) => {
    const p = `m${k}_`;
    initializer.push(
      tensor(`${p}input_mean`, [featureDim], m.inputMean),
      tensor(`${p}input_scale`, [featureDim], m.inputScale),
    );
    let raw = 'raw_own';
    if (m.rawScale !== 'window') {
      initializer.push(tensor(`${p}raw_scale`, [], [m.rawScale]));
      node.push({
        name: `${p}raw_scale`,
        opType: 'Mul',
        input: ['raw_centred', `${p}raw_scale`],
        output: [`${p}raw`],
      });
      raw = `${p}raw`;
    }
    node.push(
      {
        name: `${p}features_sub`,
        opType: 'Sub',
        input: ['row_features', `${p}input_mean`],
        output: [`${p}fc`],
      },
      { name: `${p}features_mul`, opType: 'Mul', input: [`${p}fc`, `${p}input_scale`], output: [`${p}fz`] },
      { name: `${p}raw_reshape`, opType: 'Reshape', input: [raw, 'raw_shape'], output: [`${p}conv_in`] },
    );
    let current = `${p}conv_in`;
    m.convs.forEach((c, i) => {
      initializer.push(
        tensor(`${p}conv${i}_weight`, [c.outCh, c.inCh, c.kernel], c.weight),
        tensor(`${p}conv${i}_bias`, [c.outCh], c.bias),
      );
      node.push(
        {
          name: `${p}conv${i}`,
          opType: 'Conv',
          input: [current, `${p}conv${i}_weight`, `${p}conv${i}_bias`],
          output: [`${p}conv${i}`],
          attribute: [attrInts('kernel_shape', [c.kernel]), attrInts('strides', [c.stride])],
        },
        { name: `${p}conv${i}_relu`, opType: 'Relu', input: [`${p}conv${i}`], output: [`${p}conv${i}_relu`] },
      );
      current = `${p}conv${i}_relu`;
    });
    node.push(
      { name: `${p}avg_pool`, opType: 'GlobalAveragePool', input: [current], output: [`${p}avg3`] },
      {
        name: `${p}avg_flatten`,
        opType: 'Flatten',
        input: [`${p}avg3`],
        output: [`${p}avg`],
        attribute: [{ name: 'axis', type: ATTR_INT, i: 1 }],
      },
      reduce('ReduceMax', current, `${p}max`, 2, false),
      {
        name: `${p}head_in`,
        opType: 'Concat',
        input: [`${p}fz`, `${p}avg`, `${p}max`],
        output: [`${p}h0`],
        attribute: [{ name: 'axis', type: ATTR_INT, i: 1 }],
      },
    );
    current = `${p}h0`;
    m.head.forEach((layer, i) => {
      const last = i === m.head.length - 1;
      initializer.push(
        tensor(`${p}dense${i}_weight`, [layer.outDim, layer.inDim], layer.weight),
        tensor(`${p}dense${i}_bias`, [layer.outDim], layer.bias),
      );
      const out = last ? `${p}logit` : `${p}dense${i}`;
      node.push(gemm(`${p}dense${i}`, [current, `${p}dense${i}_weight`, `${p}dense${i}_bias`], out));
      if (!last) {
        node.push({ name: `${p}relu${i}`, opType: 'Relu', input: [out], output: [`${p}relu${i}`] });
        current = `${p}relu${i}`;
      }
    });
    logits.push(`${p}logit`);
  });
  initializer.push(tensor('member_weight', [], [1 / members.length]));
  node.push(
    { name: 'logit_sum', opType: 'Sum', input: logits, output: ['logit_sum'] },
    { name: 'logit_mean', opType: 'Mul', input: ['logit_sum', 'member_weight'], output: ['logit'] },
    { name: 'sigmoid', opType: 'Sigmoid', input: ['logit'], output: [OUTPUT_NAME] },
  );
  return encode(ModelProto, info, 'seizure_cnn', dim, node, initializer, [{ domain: '', version: OPSET }]);
}
