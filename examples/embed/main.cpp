// Minimal use of the C++ API: load a model, decode one source given as token
// ids on the command line, streaming the tokens as they come.
//   embed MODEL.esq ID [ID...]
#include <cstdlib>
#include <iostream>

#include <edgeseq/edgeseq.hpp>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: embed MODEL.esq ID [ID...]\n";
    return 2;
  }
  try {
    const edgeseq::Model model = edgeseq::Model::Load(argv[1]);
    const size_t positions = model.info().max_positions;
    const size_t max_length = positions < 64 ? positions : 64;
    edgeseq::Generator generator(model, edgeseq::Limits{1, positions < 256 ? positions : 256, max_length, 1});
    std::vector<int32_t> source;
    for (int i = 2; i < argc; ++i) source.push_back(std::atoi(argv[i]));
    edgeseq::GenerateOptions options;
    options.max_length = max_length;
    const edgeseq::Hypothesis h =
        generator.GenerateStreaming(source, options, [](int32_t token) { std::cout << token << ' '; });
    std::cout << "\nscore " << h.score << "\n";
  } catch (const edgeseq::Error& e) {
    std::cerr << "embed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
