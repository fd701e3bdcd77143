// Serialises a trained MLP as an ONNX ModelProto (opset 13) with protobufjs and the schema in onnx.proto.
// Graph: features → Sub(mean) → Mul(1/sd) → [Gemm → Relu]* → Gemm → Sigmoid → probability.
// The standardisation lives in the graph, so the served model consumes raw features.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { MlpParams } from './mlp.ts';

const SCHEMA = fileURLToPath(new URL('./onnx.proto', import.meta.url));
export const OPSET = 13;
const IR_VERSION = 8;
const FLOAT = 1;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

export const INPUT_NAME = 'features';
export const OUTPUT_NAME = 'probability';

export interface ExportInfo {
  modelVersion: string;
  docString: string;
  metadata: Record<string, string>;
}

function tensor(name: string, dims: number[], values: ArrayLike<number>) {
  return { name, dims, dataType: FLOAT, floatData: Array.from(Float32Array.from(values)) };
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

/** The ONNX model bytes for params. */
export function exportOnnx(params: MlpParams, info: ExportInfo): Uint8Array {
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
    initializer.push(tensor(`dense${i}_weight`, [layer.outDim, layer.inDim], layer.weight));
    initializer.push(tensor(`dense${i}_bias`, [layer.outDim], layer.bias));
    const last = i === params.layers.length - 1;
    const gemmOut = last ? 'logit' : `dense${i}`;
    node.push({
      name: `dense${i}`,
      opType: 'Gemm',
      input: [current, `dense${i}_weight`, `dense${i}_bias`],
      output: [gemmOut],
      attribute: [
        { name: 'alpha', type: ATTR_FLOAT, f: 1 },
        { name: 'beta', type: ATTR_FLOAT, f: 1 },
        { name: 'transB', type: ATTR_INT, i: 1 },
      ],
    });
    if (!last) {
      node.push({ name: `relu${i}`, opType: 'Relu', input: [gemmOut], output: [`relu${i}`] });
      current = `relu${i}`;
    }
  });
  node.push({ name: 'sigmoid', opType: 'Sigmoid', input: ['logit'], output: [OUTPUT_NAME] });

  const model = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'vigil',
    producerVersion: '1',
    domain: 'org.vigil',
    modelVersion: 1,
    docString: info.docString,
    graph: {
      name: 'seizure_mlp',
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
