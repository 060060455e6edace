/* tflite_schema.h — the field ids of tensorflow/lite/schema/schema.fbs that the reader
 * and the writer share (private to src/import/). One table, so reading and writing
 * cannot drift apart; the round-trip tests check both against real models. */
#ifndef TFG_IMPORT_TFLITE_SCHEMA_H
#define TFG_IMPORT_TFLITE_SCHEMA_H

#include <stdint.h>

/* Table field ids (a union takes two slots: type, then value). */
enum { MODEL_VERSION = 0, MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2, MODEL_DESC = 3,
       MODEL_BUFFERS = 4 };
enum { OPC_DEPRECATED = 0, OPC_CUSTOM = 1, OPC_VERSION = 2, OPC_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPS = 3, SG_NAME = 4 };
enum { BUF_DATA = 0, BUF_OFFSET = 1, BUF_SIZE = 2 };
enum { TEN_SHAPE = 0, TEN_TYPE = 1, TEN_BUFFER = 2, TEN_NAME = 3, TEN_QUANT = 4,
       TEN_VARIABLE = 5 };
enum { Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DIM = 6 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPT_TYPE = 3, OP_OPT = 4 };
/* BuiltinOptions union members */
enum { OPT_CONV = 1, OPT_DWCONV = 2, OPT_POOL = 5, OPT_FC = 8, OPT_SOFTMAX = 9, OPT_ADD = 11,
       OPT_RESHAPE = 17 };

/* The options union type a supported op carries (0: none that tinyforge reads);
 * tflite.c. */
uint8_t tfg_tfl_options_type(int32_t builtin);

#endif
