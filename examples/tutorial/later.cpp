// The parts of the tutorial that later parts of mpp bring. Each prints one line until its part
// arrives; then its body becomes the port, as in the other section files.
#include <fmt/core.h>

#include "tutorial.hpp"

namespace tutorial {

// Section 7: `pool.imap(hypotenuse, df.itertuples(name=False), chunksize=10)`.
void section_7_row_wise() { fmt::print("coming with Frame\n"); }

// Section 7: `pool.imap(sum_of_squares, df.iteritems(), chunksize=10)`.
void section_7_column_wise() { fmt::print("coming with Frame\n"); }

// Section 7: pathos' `pool.map(func, np.array_split(df, cores, axis=0))`, then `np.vstack`.
void section_7_whole_frame() { fmt::print("coming with Frame\n"); }

}  // namespace tutorial
