//! The serde [`Serializer`](serde::Serializer) that builds a [`Doc`].

use serde::Serialize;
use serde::ser;

use super::{Doc, DocError, VariantContent};

pub(super) struct DocSerializer;

type R = Result<Doc, DocError>;

impl ser::Serializer for DocSerializer {
    type Ok = Doc;
    type Error = DocError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = StructBuilder;
    type SerializeStructVariant = StructBuilder;

    fn serialize_bool(self, v: bool) -> R {
        Ok(Doc::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> R {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> R {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> R {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> R {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_i128(self, v: i128) -> R {
        Ok(Doc::Int(v))
    }
    fn serialize_u8(self, v: u8) -> R {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> R {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> R {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> R {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_u128(self, v: u128) -> R {
        i128::try_from(v).map(Doc::Int).map_err(|_| DocError(format!("{v} is too large")))
    }
    fn serialize_f32(self, v: f32) -> R {
        // Through the f32's shortest text, so `0.1f32` is kept as `0.1`
        // (and reads back as the same f32), not as 0.10000000149011612.
        Ok(Doc::Float(v.to_string().parse::<f64>().unwrap_or(f64::from(v))))
    }
    fn serialize_f64(self, v: f64) -> R {
        Ok(Doc::Float(v))
    }
    fn serialize_char(self, v: char) -> R {
        Ok(Doc::Char(v))
    }
    fn serialize_str(self, v: &str) -> R {
        Ok(Doc::Str(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        Ok(Doc::Seq(v.iter().map(|&b| Doc::Int(b.into())).collect()))
    }
    fn serialize_none(self) -> R {
        Ok(Doc::Option(None))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> R {
        Ok(Doc::Option(Some(Box::new(value.serialize(DocSerializer)?))))
    }
    fn serialize_unit(self) -> R {
        Ok(Doc::Unit)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> R {
        Ok(Doc::Unit)
    }
    fn serialize_unit_variant(self, name: &'static str, _index: u32, variant: &'static str) -> R {
        Ok(Doc::Variant { name, variant, content: VariantContent::Unit })
    }
    /// Transparent, as RON writes it.
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> R {
        value.serialize(DocSerializer)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> R {
        let content = VariantContent::Newtype(Box::new(value.serialize(DocSerializer)?));
        Ok(Doc::Variant { name, variant, content })
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, DocError> {
        Ok(SeqBuilder { items: Vec::with_capacity(len.unwrap_or(0)), kind: SeqKind::Seq })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, DocError> {
        Ok(SeqBuilder { items: Vec::with_capacity(len), kind: SeqKind::Tuple })
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder, DocError> {
        Ok(SeqBuilder { items: Vec::with_capacity(len), kind: SeqKind::Tuple })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, DocError> {
        Ok(SeqBuilder { items: Vec::with_capacity(len), kind: SeqKind::Variant { name, variant } })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder, DocError> {
        Ok(MapBuilder { entries: vec![], key: None })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<StructBuilder, DocError> {
        Ok(StructBuilder { fields: Vec::with_capacity(len), name, variant: None })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructBuilder, DocError> {
        Ok(StructBuilder { fields: Vec::with_capacity(len), name, variant: Some(variant) })
    }
    fn collect_str<T: ?Sized + std::fmt::Display>(self, value: &T) -> R {
        Ok(Doc::Str(value.to_string()))
    }
}

enum SeqKind {
    Seq,
    Tuple,
    Variant { name: &'static str, variant: &'static str },
}

pub(super) struct SeqBuilder {
    items: Vec<Doc>,
    kind: SeqKind,
}

impl SeqBuilder {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), DocError> {
        self.items.push(value.serialize(DocSerializer)?);
        Ok(())
    }
    fn finish(self) -> R {
        Ok(match self.kind {
            SeqKind::Seq => Doc::Seq(self.items),
            SeqKind::Tuple => Doc::Tuple(self.items),
            SeqKind::Variant { name, variant } => {
                Doc::Variant { name, variant, content: VariantContent::Tuple(self.items) }
            }
        })
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Doc;
    type Error = DocError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), DocError> {
        self.push(value)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Doc;
    type Error = DocError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), DocError> {
        self.push(value)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Doc;
    type Error = DocError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), DocError> {
        self.push(value)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for SeqBuilder {
    type Ok = Doc;
    type Error = DocError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), DocError> {
        self.push(value)
    }
    fn end(self) -> R {
        self.finish()
    }
}

pub(super) struct MapBuilder {
    entries: Vec<(Doc, Doc)>,
    key: Option<Doc>,
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Doc;
    type Error = DocError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), DocError> {
        self.key = Some(key.serialize(DocSerializer)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), DocError> {
        let key = self.key.take().ok_or_else(|| DocError("a map value without its key".into()))?;
        self.entries.push((key, value.serialize(DocSerializer)?));
        Ok(())
    }
    fn end(self) -> R {
        Ok(Doc::Map(self.entries))
    }
}

pub(super) struct StructBuilder {
    fields: Vec<(&'static str, Doc)>,
    name: &'static str,
    variant: Option<&'static str>,
}

impl StructBuilder {
    fn push<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), DocError> {
        self.fields.push((key, value.serialize(DocSerializer)?));
        Ok(())
    }
    fn finish(self) -> R {
        Ok(match self.variant {
            None => Doc::Struct { name: self.name, fields: self.fields },
            Some(variant) => Doc::Variant { name: self.name, variant, content: VariantContent::Struct(self.fields) },
        })
    }
}

impl ser::SerializeStruct for StructBuilder {
    type Ok = Doc;
    type Error = DocError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), DocError> {
        self.push(key, value)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl ser::SerializeStructVariant for StructBuilder {
    type Ok = Doc;
    type Error = DocError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), DocError> {
        self.push(key, value)
    }
    fn end(self) -> R {
        self.finish()
    }
}
