module Shapes

entity Shape extends Shape {
//~ NF125 @22 Shape
  Name: String
}
