// train_cifar: trains the network of an architecture (see libnas/train/train_tool.h).
#include "libnas/train/train_tool.h"

int main(int argc, char** argv) { return nas::run_train_tool(argc, argv, nas::cifar_train_tool()); }
