import TIFFFrame
let f = try TIFFReader.readFirst(path: CommandLine.arguments[1])
print(f.width, f.height, f.pixelSize as Any, f.pixels.max()!)
