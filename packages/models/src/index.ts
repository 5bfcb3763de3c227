/**
 * `@gflow/models`: the Module protocol and the networks of the gradient-flow literature.
 *
 * @packageDocumentation
 */

export type { ActivationConfig, ActivationName, ActivationSpec, ResolvedActivation } from './activations.js';
export { activationNames, applyActivation, resolveActivation } from './activations.js';
export { denseMLP } from './feedforward/dense-mlp.js';
export type { HighwayMLPOptions } from './feedforward/highway-mlp.js';
export { highwayMLP } from './feedforward/highway-mlp.js';
export type { ConvNetOptions, MLPOptions } from './feedforward/options.js';
export type { PlainConvNetOptions } from './feedforward/plain-conv-net.js';
export { plainConvNet } from './feedforward/plain-conv-net.js';
export { plainMLP } from './feedforward/plain-mlp.js';
export type { ResidualConvNetOptions } from './feedforward/residual-conv-net.js';
export { residualConvNet } from './feedforward/residual-conv-net.js';
export type { ResidualMLPOptions } from './feedforward/residual-mlp.js';
export { residualMLP } from './feedforward/residual-mlp.js';
export type { TransformerOptions } from './feedforward/transformer-stack.js';
export { transformerStack } from './feedforward/transformer-stack.js';
export { fromLayersModel } from './from-layers-model.js';
export type { InitConfig, InitializeOptions, InitializerName, InitSpec } from './initializers.js';
export {
  initialize,
  initializerNames,
  validateInit,
} from './initializers.js';
export { activationLayer } from './layers/activation-layer.js';
export type { BatchNormOptions } from './layers/batch-norm.js';
export { batchNorm } from './layers/batch-norm.js';
export type { Conv2dOptions } from './layers/conv2d.js';
export { conv2d } from './layers/conv2d.js';
export type { DenseOptions } from './layers/dense.js';
export { dense } from './layers/dense.js';
export type { DropoutOptions } from './layers/dropout.js';
export { dropout } from './layers/dropout.js';
export type { GroupNormOptions } from './layers/group-norm.js';
export { groupNorm } from './layers/group-norm.js';
export type { LayerNormOptions } from './layers/layer-norm.js';
export { layerNorm } from './layers/layer-norm.js';
export type { WeightNormOptions } from './layers/weight-norm.js';
export { weightNorm } from './layers/weight-norm.js';
export type { LsuvOptions, LsuvStep } from './lsuv-init.js';
export { lsuvInit } from './lsuv-init.js';
export type { Model } from './model.js';
export type { Context, Module, Parameter, ParameterRole, StepGradients } from './module.js';
export { identityContext } from './module.js';
export { cayleyMap } from './orthogonal/cayley-map.js';
export { householderProduct } from './orthogonal/householder-product.js';
export { matrixExp } from './orthogonal/matrix-exp.js';
export { prefetchParameters } from './prefetch-parameters.js';
export type { GRUOptions } from './recurrent/gru.js';
export { gru } from './recurrent/gru.js';
export type { HighwayRNNOptions } from './recurrent/highway-rnn.js';
export { highwayRNN } from './recurrent/highway-rnn.js';
export { type IndRNNOptions, indRNN } from './recurrent/ind-rnn.js';
export type { KroneckerRNNModel, KroneckerRNNOptions } from './recurrent/kronecker-rnn.js';
export { kroneckerRNN } from './recurrent/kronecker-rnn.js';
export type { LSTMOptions } from './recurrent/lstm.js';
export { lstm } from './recurrent/lstm.js';
export type { RecurrentModel, RecurrentOptions, SimpleRecurrentOptions } from './recurrent/options.js';
export type { OrthogonalParametrization, OrthogonalRNNOptions } from './recurrent/orthogonal-rnn.js';
export { orthogonalRNN } from './recurrent/orthogonal-rnn.js';
export type { ResidualRNNOptions } from './recurrent/residual-rnn.js';
export { residualRNN } from './recurrent/residual-rnn.js';
export { unitaryRNN } from './recurrent/unitary-rnn.js';
export { vanillaRNN } from './recurrent/vanilla-rnn.js';
export { sequential } from './sequential.js';
export type { AddingProblemOptions, AddingProblemTask } from './tasks/adding-problem.js';
export { addingProblem } from './tasks/adding-problem.js';
export type { CopyMemoryOptions, CopyMemoryTask } from './tasks/copy-memory-task.js';
export { copyMemoryTask } from './tasks/copy-memory-task.js';
export type { LengthSchedule, LinearCurriculumOptions } from './tasks/curriculum.js';
export { linearCurriculum } from './tasks/curriculum.js';
export type { LabeledBatch, SyntheticImagesOptions, SyntheticImagesTask } from './tasks/synthetic-images.js';
export { syntheticImages } from './tasks/synthetic-images.js';
export type { SyntheticTask, TaskBatch } from './tasks/task.js';
export type { TeacherStudentOptions, TeacherStudentTask } from './tasks/teacher-student.js';
export { teacherStudent } from './tasks/teacher-student.js';
